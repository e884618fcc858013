// The password length rules, apart from the hashing (src/auth/passwords.ts): input validation
// (and `marg user:create --help`) needs them without loading the native argon2 module.
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
