/** The parsed form of a SOQL query (the subset the sandbox supports). */
export interface FieldPath {
  /** As written, e.g. `Owner.Name`. */
  text: string;
  parts: string[];
  pos: number;
}

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: number }
  /** TODAY, LAST_N_DAYS:30, THIS_QUARTER... */
  | { kind: 'dateLiteral'; name: string; n: number | null };

export type Condition =
  | { kind: 'and'; items: Condition[] }
  | { kind: 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; field: FieldPath; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'in'; field: FieldPath; negated: boolean; values: Literal[] }
  | { kind: 'like'; field: FieldPath; pattern: string };

export interface OrderItem {
  field: FieldPath;
  descending: boolean;
  nullsLast: boolean;
}

export interface SoqlQuery {
  /** `null` for `SELECT COUNT()`. */
  fields: FieldPath[] | null;
  /** Parent-to-child subqueries in the SELECT list: `(SELECT Id FROM OpportunityContactRoles)`. */
  subqueries: SoqlQuery[];
  from: string;
  fromPos: number;
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
}
