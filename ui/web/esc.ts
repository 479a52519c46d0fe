// Text for SVG and HTML markup: the five characters that could end an element or an attribute.
export const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
