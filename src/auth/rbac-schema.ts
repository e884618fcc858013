import type { Generated } from 'kysely';
import type { MigrationSet } from '../database/contract.ts';
import { exactVarchar, withId } from '../database/schema.ts';

/** The shared identity database (the guides' `marg-rbac`): users, roles, assignments. */
export interface RbacDatabase {
  users: {
    id: Generated<number>;
    email: string;
    name: string;
    password_hash: string;
    created_at: string;
    updated_at: string;
    /** Set while an admin has disabled the account: no sign-in, no sessions, no tokens. */
    disabled_at: string | null;
  };
  personal_access_tokens: {
    id: Generated<number>;
    user_id: number;
    name: string;
    /** SHA-256 (hex) of the token: the token itself is shown once and never stored. */
    token_hash: string;
    /** JSON array of permission strings, or ["*"]. */
    abilities: string;
    last_used_at: string | null;
    expires_at: string | null;
    created_at: string;
  };
  roles: {
    id: Generated<number>;
    app: string;
    name: string;
    description: string;
  };
  role_permissions: {
    role_id: number;
    permission: string;
  };
  user_roles: {
    user_id: number;
    role_id: number;
    created_at: string;
  };
}

export const rbacMigrations: MigrationSet = {
  '2026_11_22_0001_create_users': {
    async up(db, ctx) {
      await withId(db.schema.createTable('users'), ctx)
        // Emails are stored lower-cased and matched exactly on every dialect.
        .addColumn('email', exactVarchar(255, ctx), (c) => c.notNull().unique())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('users').execute();
    },
  },
  '2026_11_22_0002_create_roles': {
    async up(db, ctx) {
      await withId(db.schema.createTable('roles'), ctx)
        .addColumn('app', 'varchar(32)', (c) => c.notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('description', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('roles_app_name_unique', ['app', 'name'])
        .execute();
      await db.schema
        .createTable('role_permissions')
        .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addColumn('permission', 'varchar(128)', (c) => c.notNull())
        .addPrimaryKeyConstraint('role_permissions_pk', ['role_id', 'permission'])
        .execute();
      await db.schema
        .createTable('user_roles')
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('user_roles').execute();
      await db.schema.dropTable('role_permissions').execute();
      await db.schema.dropTable('roles').execute();
    },
  },
  '2026_12_06_0001_users_disabled_and_access_tokens': {
    async up(db, ctx) {
      await db.schema.alterTable('users').addColumn('disabled_at', 'varchar(32)').execute();
      await withId(db.schema.createTable('personal_access_tokens'), ctx)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('token_hash', exactVarchar(64, ctx), (c) => c.notNull().unique())
        .addColumn('abilities', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'varchar(32)')
        .addColumn('expires_at', 'varchar(32)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('personal_access_tokens_user').on('personal_access_tokens').column('user_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('personal_access_tokens').execute();
      await db.schema.alterTable('users').dropColumn('disabled_at').execute();
    },
  },
};
