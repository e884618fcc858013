import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// A small Kustomize renderer for the tests: no real kustomize can be installed here (Debian's
// kubectl 1.20 embeds kustomize 2.0, too old for `labels`/`patches`; the Go module proxy holds
// only sources). It does exactly what deploy/k8s uses — resources (files and directories),
// labels (with includeTemplates), namespace, images, strategic-merge patches (`$patch: delete`,
// lists of named items merged by name) and JSON 6902 patches (add/replace/remove) — and fails
// loudly on anything else, and on a patch whose target is not among the resources.

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const KNOWN = new Set(['apiVersion', 'kind', 'resources', 'labels', 'namespace', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

export function render(dir: string): Resource[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, any>;
  for (const key of Object.keys(k)) if (!KNOWN.has(key)) throw new Error(`${dir}: kustomization field ${key} is not handled by this renderer`);
  let resources: Resource[] = [];
  for (const entry of (k.resources ?? []) as string[]) {
    const path = join(dir, entry);
    resources.push(...(statSync(path).isDirectory() ? render(path) : readDocuments(path)));
  }
  for (const patch of (k.patches ?? []) as { path: string; target?: { kind: string; name: string } }[]) {
    const docs = parseAllDocuments(readFileSync(join(dir, patch.path), 'utf8')).map((d) => d.toJSON() as any);
    if (docs.length === 1 && Array.isArray(docs[0])) {
      if (!patch.target) throw new Error(`${patch.path}: a JSON 6902 patch needs a target`);
      applyJson6902(find(resources, patch.target.kind, patch.target.name, patch.path), docs[0]);
      continue;
    }
    for (const doc of docs) {
      const target = find(resources, doc.kind, doc.metadata?.name, patch.path);
      if (doc.$patch === 'delete') resources = resources.filter((r) => r !== target);
      else merge(target as unknown as Json, doc as Json);
    }
  }
  for (const { pairs, includeTemplates } of (k.labels ?? []) as { pairs: Record<string, string>; includeTemplates?: boolean }[]) {
    for (const r of resources) {
      r.metadata.labels = { ...r.metadata.labels, ...pairs };
      const template = (r as any).spec?.template;
      if (includeTemplates && template) template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...pairs } };
    }
  }
  if (k.namespace) for (const r of resources) if (!CLUSTER_SCOPED.has(r.kind)) r.metadata.namespace = k.namespace;
  for (const image of (k.images ?? []) as { name: string; newName?: string; newTag?: string }[]) {
    for (const container of resources.flatMap(containersOf)) {
      const [name, tag] = splitImage(container.image);
      if (name === image.name) container.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
    }
  }
  return resources;
}

export function containersOf(r: Resource): { name: string; image: string; [key: string]: any }[] {
  const spec = (r as any).spec?.template?.spec ?? (r as any).spec?.jobTemplate?.spec?.template?.spec;
  return spec ? [...(spec.initContainers ?? []), ...spec.containers] : [];
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

function readDocuments(path: string): Resource[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
      return d.toJSON() as Resource;
    })
    .filter(Boolean);
}

function find(resources: Resource[], kind: string, name: string, source: string): Resource {
  const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
  if (!found) throw new Error(`${source}: patch targets ${kind}/${name}, which is not among the resources`);
  return found;
}

/** Strategic merge as Kubernetes does it for these fields: maps merge, lists of named items merge by name, other lists are replaced. */
function merge(target: Json, patch: Json): void {
  if (!isObject(target) || !isObject(patch)) throw new Error('strategic merge of a non-object');
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isObject(value) && isObject(current)) merge(current, value);
    else if (Array.isArray(value) && Array.isArray(current) && value.every((v) => isObject(v) && typeof v.name === 'string')) {
      for (const item of value as { [key: string]: Json }[]) {
        const existing = current.find((c) => isObject(c) && c.name === item.name);
        if (existing) merge(existing, item);
        else current.push(item);
      }
    } else target[key] = value;
  }
}

function applyJson6902(target: Resource, ops: { op: string; path: string; value?: Json }[]): void {
  for (const { op, path, value } of ops) {
    const keys = path.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop()!;
    let node: any = target;
    for (const key of keys) {
      if (node?.[key] === undefined) throw new Error(`JSON patch path ${path} does not exist in ${target.kind}/${target.metadata.name}`);
      node = node[key];
    }
    if (op === 'replace' || op === 'remove') {
      if (node[last] === undefined) throw new Error(`JSON patch ${op} ${path}: nothing there in ${target.kind}/${target.metadata.name}`);
      if (op === 'remove') Array.isArray(node) ? node.splice(Number(last), 1) : delete node[last];
      else node[last] = value;
    } else if (op === 'add') {
      if (Array.isArray(node)) node.splice(last === '-' ? node.length : Number(last), 0, value);
      else node[last] = value;
    } else throw new Error(`JSON patch op ${op} is not handled by this renderer`);
  }
}

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const K8S_DIR = join(dirname(new URL(import.meta.url).pathname), '../../deploy/k8s');
