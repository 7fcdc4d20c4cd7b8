/**
 * Creates an admin (or promotes an existing account): the only way to get the admin role.
 *   npm run admin:create -- --email a@b.c --username boss [--password …]
 * Without --password the password is read from HANGER_ADMIN_PASSWORD or asked for on the terminal.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import {
  email as emailSchema,
  password as passwordSchema,
  username as usernameSchema,
} from '@hanger/contracts';
import { createRuntime } from '../src/composition';
import { boot } from '../src/process';

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
  },
});
const email = emailSchema.safeParse(values.email);
const username = usernameSchema.safeParse(
  values.username ?? values.email?.split('@')[0]?.replace(/[^a-zA-Z0-9_.]/g, ''),
);
if (!email.success || !username.success) {
  console.error(
    'usage: npm run admin:create -- --email EMAIL [--username NAME] [--password PASSWORD]',
  );
  process.exit(2);
}
let pw = values.password ?? process.env.HANGER_ADMIN_PASSWORD;
if (!pw) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  pw = await rl.question('Password for the admin: ');
  rl.close();
}
const password = passwordSchema.safeParse(pw);
if (!password.success) {
  console.error('The password must be 8–128 characters.');
  process.exit(2);
}

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
try {
  const result = await runtime.services.auth.createAdmin({
    email: email.data,
    username: username.data,
    password: password.data,
  });
  console.log(
    result.created ? `Admin ${username.data} created.` : `${email.data} is now an admin.`,
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await runtime.close();
}
