// For reference: the whole module, as `import * as oauth from 'oauth4webapi'` with every export
// kept. The offline validation page uses it (it needs the jwksCache option too).
export * from 'oauth4webapi';
