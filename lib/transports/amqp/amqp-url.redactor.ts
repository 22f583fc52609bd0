/** The URL with its password masked, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Unparseable input may still embed credentials; hide everything between "//" and "@".
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
