/** The three roles every app ships (DESIGN §4). */
export const ROLE_NAMES = ['viewer', 'editor', 'admin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** What an app declares: its permissions (`app.resource.action`) and which role holds which. */
export interface AppPermissions {
  readonly permissions: Readonly<Record<string, string>>;
  readonly roles: Readonly<Record<RoleName, { readonly description: string; readonly permissions: readonly string[] }>>;
}

/** A role reference as users type it: `flow:editor`. */
export interface RoleRef {
  readonly app: string;
  readonly role: RoleName;
}

export function parseRoleRef(text: string): RoleRef | undefined {
  const match = /^([a-z][a-z0-9-]*):([a-z]+)$/.exec(text.trim());
  if (!match || !(ROLE_NAMES as readonly string[]).includes(match[2]!)) return undefined;
  return { app: match[1]!, role: match[2] as RoleName };
}

export function formatRoleRef(ref: RoleRef): string {
  return `${ref.app}:${ref.role}`;
}
