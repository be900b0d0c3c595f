import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface Requirement {
  /** Absolute path, or a bare name looked up on PATH. */
  binary: string;
  /** What provides it, named in the error so the fix is one command away. */
  providedBy: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns the absolute path of a required program, or throws naming the missing binary and package. */
export function requireBinary({ binary, providedBy }: Requirement): string {
  if (path.isAbsolute(binary)) {
    if (isExecutable(binary)) return binary;
  } else {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (dir && isExecutable(path.join(dir, binary)))
        return path.join(dir, binary);
    }
  }
  throw new Error(
    `Missing ${binary}: it is provided by ${providedBy}. ` +
      `Run the repository's bootstrap script, or install it (e.g. \`apt-get install ${
        providedBy.split(' ')[0]
      }\`).`,
  );
}
