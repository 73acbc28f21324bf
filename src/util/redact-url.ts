/** A URL fit for logs and status: the user and password of `scheme://user:pass@host` hidden. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
