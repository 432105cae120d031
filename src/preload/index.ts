// The preload exposes Baton's API and nothing else: two named functions, no
// ipcRenderer, and listeners that never see the IPC event object (Electron
// security checklist item 20). Built as one CommonJS file for the sandbox.
import { contextBridge, ipcRenderer } from 'electron'
import type { ApiEvent, ApiResult } from '../shared/api'

const bridge = {
  call: (method: string, input: unknown): Promise<ApiResult<unknown>> => ipcRenderer.invoke('baton:call', method, input),
  onEvent: (listener: (event: ApiEvent) => void): (() => void) => {
    const wrapped = (_event: unknown, payload: ApiEvent) => listener(payload)
    ipcRenderer.on('baton:event', wrapped)
    return () => ipcRenderer.removeListener('baton:event', wrapped)
  },
  platform: process.platform
}

contextBridge.exposeInMainWorld('baton', bridge)

export type BatonBridge = typeof bridge
