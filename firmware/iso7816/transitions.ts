/**
 * A state table's transitions as a lookup (`from` → `to` → true), built once from its lists: the
 * checked transitions run several times per exchange, and a property read costs less than a search
 * of the list.
 */
export type TransitionLookup<S extends string> = Readonly<Record<S, Readonly<Partial<Record<S, true>>>>>;

export function transitionLookup<S extends string>(table: Readonly<Record<S, readonly S[]>>): TransitionLookup<S> {
  const lookup = {} as Record<S, Readonly<Partial<Record<S, true>>>>;
  for (const from of Object.keys(table) as S[]) {
    const row: Partial<Record<S, true>> = {};
    for (const to of table[from]) row[to] = true;
    lookup[from] = Object.freeze(row);
  }
  return Object.freeze(lookup);
}
