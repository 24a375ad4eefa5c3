/** A usage error of the `federizer` command (exit code 2). */
export class CliError extends Error {
  override readonly name = 'CliError'
}
