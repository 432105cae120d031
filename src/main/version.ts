// Injected by the bundler from package.json; tests run from source and fall back.
declare const __BATON_VERSION__: string | undefined
export const VERSION: string = typeof __BATON_VERSION__ === 'string' ? __BATON_VERSION__ : '0.0.0-dev'
