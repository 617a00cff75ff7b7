namespace Sockit.Cli;

/// <summary>Options that parse one by one but do not make sense together; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
