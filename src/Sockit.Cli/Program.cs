using Sockit.Cli;

// Run socket completions on the epoll thread instead of hopping to the thread pool for each one: on a small machine
// that hop is most of the cost of a small echo or HTTP exchange. Safe here because the CLI never blocks in a socket
// continuation (stdin and stdout go through the thread pool). Read once, when the first socket is made; a user's own
// setting wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

return await CliRunner.RunAsync(args);
