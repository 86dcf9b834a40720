/** The name this tool is published under: what a scaffolded config imports its API from. */
export const PACKAGE_NAME = 'llmake';
