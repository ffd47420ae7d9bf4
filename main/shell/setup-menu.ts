import type { BaseWindow, Menu as ElectronMenu, MenuItemConstructorOptions, MessageBoxOptions } from 'electron';
import { aboutBoxOptions, type AboutFacts } from './about-panel';
import { appMenuTemplate } from './app-menu';

/** The parts of Electron's `Menu` and `dialog` the menu uses (main.ts passes the real ones). */
export interface MenuDeps {
  readonly Menu: {
    buildFromTemplate(template: MenuItemConstructorOptions[]): ElectronMenu;
    setApplicationMenu(menu: ElectronMenu | null): void;
  };
  readonly dialog: { showMessageBox(window: BaseWindow, options: MessageBoxOptions): Promise<unknown> };
  readonly platform: NodeJS.Platform;
  readonly productName: string;
  /** True in development runs only (`!app.isPackaged`). */
  readonly developmentTools: boolean;
  /** The window the About box belongs to. */
  readonly window: () => BaseWindow;
  /** Read when the box opens, so it names the provider configured by then. */
  readonly aboutFacts: () => AboutFacts;
}

/** Installs the app's own menu (app-menu.ts) in place of Electron's default. */
export function setupAppMenu(deps: MenuDeps): void {
  const template = appMenuTemplate({
    platform: deps.platform,
    productName: deps.productName,
    developmentTools: deps.developmentTools,
    showAbout: () => {
      void deps.dialog.showMessageBox(deps.window(), aboutBoxOptions(deps.aboutFacts())).catch(() => undefined);
    },
  });
  deps.Menu.setApplicationMenu(deps.Menu.buildFromTemplate(template));
}
