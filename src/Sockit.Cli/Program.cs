using Sockit.Cli;

return await CliRunner.RunAsync(args);
