// Tables of the auth area.
export interface AuthTables {}
