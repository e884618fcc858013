/**
 * Renders a load balancer config template. Two rules: `{{name}}` is replaced by its value, and
 * a line that uses `{{server.field}}` is written once per server. Written by hand because these
 * two rules are all the configs need; a template engine would bring HTML escaping and a syntax
 * of its own into files that operators read as plain HAProxy and nginx configs.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>, servers: readonly Readonly<Record<string, string>>[]): string {
  const out: string[] = [];
  for (const line of template.split('\n')) {
    if (line.includes('{{server.')) {
      for (const server of servers) out.push(fill(line, (name) => (name.startsWith('server.') ? server[name.slice('server.'.length)] : values[name])));
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
