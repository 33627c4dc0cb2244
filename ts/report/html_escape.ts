/**
 * Text placed in HTML or inline SVG, as element content or as a quoted attribute value: labels
 * and titles come from callers and may hold markup characters.
 */
const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}
