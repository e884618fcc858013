/**
 * Renders a load balancer config template. Two rules: `{{name}}` is replaced by its value, and
 * a line that uses `{{server.field}}` is written once per server (`{{realtime.field}}`: once per
 * realtime node, and so on for each group given). Written by hand because these
 * two rules are all the configs need; a template engine would bring HTML escaping and a syntax
 * of its own into files that operators read as plain HAProxy and nginx configs.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
  servers: readonly Readonly<Record<string, string>>[],
  groups: Readonly<Record<string, readonly Readonly<Record<string, string>>[]>> = {},
): string {
  const out: string[] = [];
  const all: Record<string, readonly Readonly<Record<string, string>>[]> = { ...groups, server: servers };
  for (const line of template.split('\n')) {
    const group = Object.keys(all).find((g) => line.includes(`{{${g}.`));
    if (group) {
      const prefix = `${group}.`;
      for (const row of all[group]!) out.push(fill(line, (name) => (name.startsWith(prefix) ? row[name.slice(prefix.length)] : values[name])));
    } else {
      out.push(fill(line, (name) => values[name]));
    }
  }
  return out.join('\n');
}

function fill(line: string, lookup: (name: string) => string | undefined): string {
  return line.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_match, name: string) => {
    const value = lookup(name);
    // A template naming a value the code does not provide is a bug in one of them: say which.
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return value;
  });
}
