using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using WsCore.AspNetCore;

namespace WsCoreEcho;

/// <summary>
/// <c>--host aspnetcore</c>: the echo served the way an ASP.NET Core application serves WsCore, through the
/// WsCore.AspNetCore package (<c>MapWsCore</c>): the package validates and negotiates through the handshake layer,
/// accepts HTTP/1.1 upgrades on the port and, with <c>--http2-port N</c>, HTTP/2 extended CONNECT (h2c, RFC 8441) on a
/// second one.
/// </summary>
internal static class AspNetCoreHost
{
    public static async Task<int> RunAsync(int port, int http2Port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1);
            if (http2Port > 0) k.Listen(IPAddress.Loopback, http2Port, o => o.Protocols = HttpProtocols.Http2);
        });
        WebApplication app = builder.Build();
        app.MapWsCore("/{**path}", (connection, _) => Program.EchoAsync(connection), new WsCoreAcceptOptions { Connection = Program.ConnectionOptions });
        Console.WriteLine($"WsCore echo server (ASP.NET Core, MapWsCore) on ws://127.0.0.1:{port}" + (http2Port > 0 ? $" and HTTP/2 (h2c) on {http2Port}" : ""));
        await app.RunAsync();
        return 0;
    }
}
