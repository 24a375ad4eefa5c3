// Tables of the federation area.
export interface FederationTables {}
