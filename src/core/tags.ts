/** Tags as given, trimmed, each once, in first-seen order (contacts and conversations alike). */
export const cleanTags = (tags: readonly string[]): string[] => [
  ...new Set(tags.map((t) => t.trim()).filter(Boolean)),
];
