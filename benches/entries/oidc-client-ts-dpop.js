// oidc-client-ts with DPoP on: the UserManager and the IndexedDB store of its DPoP key (its
// `dpop: { store }` setting). The bench's DPoP refresh lane uses this bundle.
export { UserManager, IndexedDbDPoPStore } from 'oidc-client-ts';
