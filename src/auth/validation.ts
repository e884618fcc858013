import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-rules.ts';

// Deliberately loose (one @, a dot in the domain): the only real check of an address is mail reaching it.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems with new-user input, by field; empty when it is fine. */
export function userInputProblems(input: { email?: string; name?: string; password?: string }): Record<string, string> {
  const problems: Record<string, string> = {};
  if (input.email !== undefined && (!EMAIL.test(input.email.trim()) || input.email.length > 255)) problems.email = 'must be an email address';
  if (input.name !== undefined && (input.name.trim().length === 0 || input.name.length > 255)) problems.name = 'must be 1 to 255 characters';
  if (input.password !== undefined && (input.password.length < PASSWORD_MIN_LENGTH || input.password.length > PASSWORD_MAX_LENGTH)) {
    problems.password = `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`;
  }
  return problems;
}
