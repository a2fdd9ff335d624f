/**
 * Keys that occur more than once in one object of a JSON text (`JSON.parse` silently keeps the
 * last one, so a log line with two `module` keys looks fine once parsed). Paths are dotted.
 */
export function duplicatedKeys(json: string): string[] {
  const duplicates: string[] = [];
  const stack: { keys: Set<string>; path: string; isObject: boolean; expectKey: boolean; lastKey: string }[] = [];
  let i = 0;
  const readString = (): string => {
    let out = '';
    i += 1; // opening quote
    while (json[i] !== '"') {
      if (json[i] === '\\') {
        out += json.slice(i, i + 2);
        i += 2;
      } else out += json[i++];
    }
    i += 1;
    return out;
  };
  while (i < json.length) {
    const c = json[i]!;
    const top = stack.at(-1);
    if (c === '{' || c === '[') {
      const parentPath = top ? (top.isObject ? (top.path ? `${top.path}.${top.lastKey}` : top.lastKey) : `${top.path}[]`) : '';
      stack.push({ keys: new Set(), path: parentPath, isObject: c === '{', expectKey: c === '{', lastKey: '' });
      i += 1;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i += 1;
    } else if (c === ',') {
      if (top?.isObject) top.expectKey = true;
      i += 1;
    } else if (c === '"') {
      const text = readString();
      if (top?.isObject && top.expectKey) {
        if (top.keys.has(text)) duplicates.push(top.path ? `${top.path}.${text}` : text);
        top.keys.add(text);
        top.lastKey = text;
        top.expectKey = false;
      }
    } else i += 1;
  }
  return duplicates;
}
