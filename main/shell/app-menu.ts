import type { MenuItemConstructorOptions } from 'electron';

/**
 * The app's own menu, in place of Electron's default (which ships "Toggle
 * Developer Tools" and "Force Reload" to every user). Pure: main.ts passes
 * the result to `Menu.buildFromTemplate`, and the tests read it as data.
 */
export interface AppMenuOptions {
  /** `process.platform`: macOS gets the app menu first, as its guidelines ask. */
  readonly platform: NodeJS.Platform;
  readonly productName: string;
  /**
   * True only in development runs (`!app.isPackaged`): reload and the
   * developer tools. A packaged build has neither, in the menu or as a shortcut
   * (the shortcuts exist only as menu accelerators).
   */
  readonly developmentTools: boolean;
  /** Shows the About box (about-panel.ts). */
  readonly showAbout: () => void;
}

export function appMenuTemplate(options: AppMenuOptions): MenuItemConstructorOptions[] {
  const { productName } = options;
  const about: MenuItemConstructorOptions = { id: 'about', label: `About ${productName}`, click: () => options.showAbout() };
  const view: MenuItemConstructorOptions = {
    id: 'view',
    label: 'View',
    submenu: [
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(options.developmentTools
        ? ([{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }] satisfies MenuItemConstructorOptions[])
        : []),
    ],
  };

  if (options.platform === 'darwin') {
    return [
      {
        id: 'app',
        label: productName,
        submenu: [
          about,
          { type: 'separator' },
          { role: 'services' },
          { type: 'separator' },
          { role: 'hide', label: `Hide ${productName}` },
          { role: 'hideOthers' },
          { role: 'unhide' },
          { type: 'separator' },
          { role: 'quit', label: `Quit ${productName}` },
        ],
      },
      { id: 'edit', role: 'editMenu' },
      view,
      { id: 'window', role: 'windowMenu' },
      // macOS adds its search field to the menu with the help role.
      { id: 'help', role: 'help', submenu: [] },
    ];
  }
  return [
    { id: 'file', label: '&File', submenu: [{ role: 'quit', label: 'E&xit' }] },
    { id: 'edit', role: 'editMenu', label: '&Edit' },
    { ...view, label: '&View' },
    { id: 'window', label: '&Window', submenu: [{ role: 'minimize' }, { role: 'close' }] },
    { id: 'help', label: '&Help', submenu: [about] },
  ];
}
