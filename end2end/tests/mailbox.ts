import { expect } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mailData } from "../playwright.config";

// What the test SMTP server of end2end/serve-mail.sh received. The suite
// runs from end2end/; the data folder is the repository's.
const folder = join("..", mailData, "mail");

/** The mails received, oldest first (files are numbered 0000.eml, …). */
export function mails(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(folder).filter((name) => /^\d+\.eml$/.test(name));
  } catch {
    return [];
  }
  return names.sort().map((name) => readFileSync(join(folder, name), "utf8"));
}

/** The mails received for `address`. */
export function mailsTo(address: string): string[] {
  return mails().filter((mail) => mail.includes(`To: ${address}`));
}

/** The link in a mail whose path starts with `path` (quoted-printable's soft breaks undone). */
export function linkIn(mail: string, path: string): string {
  const text = mail.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
  const link = text.match(new RegExp(`https?://[^\\s"<]+${path}[^\\s"<]+`));
  expect(link, `a ${path} link in the mail`).not.toBeNull();
  return link![0];
}
