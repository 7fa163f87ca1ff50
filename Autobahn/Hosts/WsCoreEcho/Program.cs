using System.Buffers;
using System.Globalization;
using System.Net;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCoreEcho;

/// <summary>
/// The WsCore echo program the Autobahn TestSuite (and our conformance runner) grades:
/// <c>server --port 9001 [--host sockets|kestrel|kestrel-connection|aspnetcore]</c> echoes every message, fragment by fragment as
/// it arrives (so a message of any size streams through a 64 KiB buffer, rented only while a piece is there); <c>client --url ws://127.0.0.1:9002 --agent
/// NAME</c> is an Autobahn echo client (getCaseCount, runCase for each case, updateReports). permessage-deflate is
/// offered (client) and accepted (server) unless <c>--no-compression</c> is given.
/// </summary>
public static class Program
{
    private static WebSocketConnectionOptions s_options = CreateOptions(compression: true);

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: server [--port 9001] [--host sockets|kestrel|kestrel-connection|aspnetcore [--http2-port N]] | client [--url ws://127.0.0.1:9002] [--agent WsCore]; add --no-compression to neither offer nor accept permessage-deflate, --memory-report to answer \"gc\" on standard input with the managed heap and RSS (bench/idle-memory.sh)");
            return 2;
        }
        string Option(string name, string fallback)
        {
            int i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        WsCore.Bench.MemoryReport.StartIfRequested(args);
        s_options = CreateOptions(compression: Array.IndexOf(args, "--no-compression") < 0);
        int port = int.Parse(Option("port", "9001"), CultureInfo.InvariantCulture);
        return args[0] switch
        {
            "server" => Option("host", "sockets") switch
            {
                "sockets" => await RunServerAsync(port),
                "kestrel" => await KestrelHost.RunUpgradeAsync(port),
                "kestrel-connection" => await KestrelHost.RunConnectionHandlerAsync(port),
                "aspnetcore" => await AspNetCoreHost.RunAsync(port, int.Parse(Option("http2-port", "0"), CultureInfo.InvariantCulture)),
                _ => 2,
            },
            "client" => await RunClientAsync(new Uri(Option("url", "ws://127.0.0.1:9002")), Option("agent", "WsCore")),
            _ => 2,
        };
    }

    private static WebSocketConnectionOptions CreateOptions(bool compression) => new()
    {
        Protocol = new WebSocketProtocolOptions
        {
            MaxFramePayloadLength = 64 * 1024 * 1024,
            MaxMessageLength = 64 * 1024 * 1024,
            // All four RFC 7692 parameters are negotiable; the defaults accept what a peer asks for.
            PerMessageDeflate = compression ? new PerMessageDeflateOptions { Enabled = true } : PerMessageDeflateOptions.Disabled,
        },
    };

    internal static WebSocketConnectionOptions ConnectionOptions => s_options;

    private static async Task<int> RunServerAsync(int port)
    {
        await SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, port), (connection, _) => EchoAsync(connection),
            new WebSocketServerOptions { Connection = s_options },
            onListening: endpoint => Console.WriteLine($"WsCore echo server on ws://{endpoint}"));
        return 0;
    }

    /// <summary>The Autobahn echo client: asks the fuzzing server for its case count, runs every case, updates the reports.</summary>
    private static async Task<int> RunClientAsync(Uri root, string agent)
    {
        string baseUrl = root.GetLeftPart(UriPartial.Authority);
        int count = 0;
        await WithClientAsync(new Uri(baseUrl + "/getCaseCount"), async connection =>
        {
            byte[] buffer = new byte[64];
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer);
            if (r.Kind == ConnectionReceiveKind.MessageData) count = int.Parse(System.Text.Encoding.ASCII.GetString(buffer, 0, r.Count), CultureInfo.InvariantCulture);
            while ((await connection.ReceiveAsync(buffer)).Kind == ConnectionReceiveKind.MessageData) { }
        });
        Console.WriteLine($"{count} cases");
        string escapedAgent = Uri.EscapeDataString(agent);
        for (int i = 1; i <= count; i++)
        {
            await WithClientAsync(new Uri($"{baseUrl}/runCase?case={i}&agent={escapedAgent}"), EchoAsync);
        }
        await WithClientAsync(new Uri($"{baseUrl}/updateReports?agent={escapedAgent}"), async connection =>
        {
            byte[] buffer = new byte[64];
            while ((await connection.ReceiveAsync(buffer)).Kind == ConnectionReceiveKind.MessageData) { }
        });
        return count > 0 ? 0 : 1;
    }

    private static async Task WithClientAsync(Uri uri, Func<WebSocketConnection, Task> body)
    {
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(uri, new WebSocketClientOptions { Connection = s_options });
        if (client.Connection is null)
        {
            Console.Error.WriteLine($"{uri}: {client.Failure}");
            return;
        }
        await body(client.Connection);
    }

    private const int EchoBufferSize = 64 * 1024;

    /// <summary>
    /// Echoes every message back, piece by piece as it arrives, until the connection closes. Idle-cheap: it waits for
    /// data with a zero-byte receive (which consumes nothing) and holds a receive buffer, rented from
    /// <see cref="ArrayPool{T}.Shared"/>, only while a piece is being received and sent back; an idle connection holds
    /// none.
    /// </summary>
    public static async Task EchoAsync(WebSocketConnection connection)
    {
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(Memory<byte>.Empty);
            if (r.Kind != ConnectionReceiveKind.MessageData) return;
            if (r.EndOfMessage)
            {
                // The message (or its last fragment) had no payload left: echo it as an empty final fragment.
                if (await connection.SendAsync(ReadOnlyMemory<byte>.Empty, r.MessageKind, true) != SendStatus.Done) return;
                continue;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(EchoBufferSize);
            try
            {
                r = await connection.ReceiveAsync(buffer.AsMemory(0, EchoBufferSize));
                if (r.Kind != ConnectionReceiveKind.MessageData) return;
                if (r.Count == 0 && !r.EndOfMessage) continue;
                if (await connection.SendAsync(buffer.AsMemory(0, r.Count), r.MessageKind, r.EndOfMessage) != SendStatus.Done) return;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
