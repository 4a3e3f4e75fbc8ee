/** Why a FILE argument cannot be used, in words: a directory is named a directory, not an errno. */
export function fileProblem(path: string, error: unknown): string {
  switch ((error as { code?: string }).code) {
    case 'EISDIR':
      return `${path} is a directory`;
    case 'ENOENT':
      return `${path}: no such file or directory`;
    case 'ENOTDIR':
      return `${path}: a part of the path is not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied`;
    default:
      return `${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
