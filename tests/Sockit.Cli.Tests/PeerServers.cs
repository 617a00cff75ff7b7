using System.Globalization;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>Reference servers started for one test: nginx and haproxy, on a free loopback port, stopped with the test.</summary>
internal static class PeerServers
{
    /// <summary>
    /// nginx in the foreground, one worker, with <paramref name="server"/> inside its http server block (or, when
    /// <paramref name="stream"/>, its stream block); returns it and its port.
    /// </summary>
    public static async Task<(ChildProcess Process, int Port, string Directory)> StartNginxAsync(string server, bool stream = false)
    {
        var nginx = Peers.Require("nginx");
        var port = Ports.Free();
        var dir = Directory.CreateTempSubdirectory("sockit-nginx-").FullName;
        var body = stream
            ? $"stream {{ server {{ listen 127.0.0.1:{port}; {server} }} }}"
            : $"http {{ access_log off; client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir}; uwsgi_temp_path {dir}; scgi_temp_path {dir};" +
              $" server {{ listen 127.0.0.1:{port}; {server} }} }}";
        var config = Path.Combine(dir, "nginx.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture,
            $"worker_processes 1; daemon off; master_process off; pid {dir}/nginx.pid; error_log {dir}/error.log; events {{ worker_connections 4096; }} {body}\n"));
        var process = ChildProcess.Start(nginx, ["-c", config, "-p", dir]);
        await Ports.WaitForTcpListenerAsync(port);
        return (process, port, dir);
    }
}
