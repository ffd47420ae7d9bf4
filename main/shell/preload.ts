/**
 * The preload of the app window. The window is sandboxed, so this file is
 * bundled on its own (scripts/build.mjs → dist/main/preload.cjs, CommonJS,
 * only `electron` external) and may use nothing but contextBridge and
 * ipcRenderer. It exposes `window.session` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { SessionBridgeKey } from '../ipc/contract';
import { createSessionBridge } from './preload-api';

const key: SessionBridgeKey = 'session';
contextBridge.exposeInMainWorld(key, createSessionBridge(ipcRenderer));
