import { html, type SafeHtml } from './html.ts';

/** The parts of an OpenAPI 3 document the page reads (what @fastify/swagger writes for Marg's routes). */
export interface JsonSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly items?: JsonSchema;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly nullable?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly default?: unknown;
}

export interface DocOperation {
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly required?: boolean; readonly schema?: JsonSchema }[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, { readonly schema?: JsonSchema }>> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** `/api/docs` for a browser: every operation with its parameters and body fields as tables. */
export function apiDocsPage(title: string, paths: Readonly<Record<string, Readonly<Record<string, DocOperation>>>>): SafeHtml {
  const entries = Object.entries(paths).sort(([a], [b]) => a.localeCompare(b));
  return html`<h1>${title}</h1>
<p>Generated from the route schemas. As JSON (OpenAPI 3): <code>curl -H 'accept: application/json' …/api/docs</code>.
Authenticate with <code>Authorization: Bearer marg_pat_…</code> (a personal access token) or the session cookie plus <code>X-CSRF-Token</code> on writes.</p>
${entries.map(([path, operations]) =>
  METHODS.filter((m) => operations[m]).map((method) => operationSection(method, path, operations[method]!)),
)}`;
}

function operationSection(method: string, path: string, operation: DocOperation): SafeHtml {
  const parameters = operation.parameters ?? [];
  const body = Object.entries(operation.requestBody?.content ?? {})[0];
  const fields = body?.[1].schema?.properties ?? {};
  const required = new Set(body?.[1].schema?.required ?? []);
  return html`<section class="card api-op">
  <h2><code>${method.toUpperCase()} ${path}</code></h2>
  ${
    parameters.length > 0
      ? html`<div class="table-wrap"><table><caption>Parameters</caption><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Required</th></tr></thead><tbody>${parameters.map(
          (p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${describe(p.schema)}</td><td>${p.required ? 'yes' : 'no'}</td></tr>`,
        )}</tbody></table></div>`
      : ''
  }
  ${
    body
      ? html`<div class="table-wrap"><table><caption>Body (${body[0]})</caption><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th></tr></thead><tbody>${
          Object.keys(fields).length === 0
            ? html`<tr><td colspan="3">${describe(body[1].schema)}</td></tr>`
            : Object.entries(fields).map(([name, schema]) => html`<tr><td><code>${name}</code></td><td>${describe(schema)}</td><td>${required.has(name) ? 'yes' : 'no'}</td></tr>`)
        }</tbody></table></div>`
      : ''
  }
</section>`;
}

/** A schema in a few words: `string, at most 200 characters`, `one of todo, doing, done`, `integer 1–100, default 25`. */
export function describe(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  const parts: string[] = [];
  const values = constants(schema);
  if (values) parts.push(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  else if (schema.anyOf) parts.push(schema.anyOf.map((s) => describe(s)).join(' or '));
  else if (schema.type === 'array') parts.push(`array of ${describe(schema.items)}`);
  else parts.push(schema.type ?? 'any');
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? '…'}–${schema.maximum ?? '…'}`);
  if (schema.minLength !== undefined) parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.format) parts.push(schema.format);
  if (schema.pattern) parts.push(`matching ${schema.pattern}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  if (schema.nullable) parts.push('or null');
  return parts.join(', ');
}

/** The values of an enum, or of a union of single-value enums (how TypeBox literals come out). */
function constants(schema: JsonSchema): readonly unknown[] | undefined {
  if (schema.enum) return schema.enum;
  if (schema.anyOf && schema.anyOf.every((s) => s.enum?.length === 1)) return schema.anyOf.map((s) => s.enum![0]);
  return undefined;
}
