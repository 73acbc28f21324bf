import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const sharedModel = (name: string): string => path.join(sharedDir, 'models', name);
export const sharedMedia = (name: string): string => path.join(sharedDir, 'media', name);
