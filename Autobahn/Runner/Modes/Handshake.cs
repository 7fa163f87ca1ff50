using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ConformanceRunner.Modes;

/// <summary>The HTTP/1.1 upgrade of RFC 6455 §4, both sides, done by hand over the raw socket.</summary>
internal static class Handshake
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static string AcceptFor(string key)
        => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + Guid)));

    /// <summary>Reads up to the blank line that ends an HTTP head; returns the head and any octets read past it.</summary>
    public static async Task<(string Head, byte[] Leftover)> ReadHeadAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int filled = 0;
        while (true)
        {
            if (filled == buffer.Length) throw new InvalidDataException("HTTP head too large");
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) throw new IOException("connection closed during the opening handshake");
            filled += n;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
                return (Encoding.ASCII.GetString(buffer, 0, end), buffer.AsSpan(end + 4, filled - end - 4).ToArray());
        }
    }

    public static Dictionary<string, string> Headers(string head)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return headers;
    }

    /// <summary>Client side: connects, sends the upgrade request for <paramref name="path"/>, checks the 101 answer.</summary>
    /// <param name="extensions">A Sec-WebSocket-Extensions value to offer (permessage-deflate cases), or null.</param>
    public static async Task<(Socket Socket, byte[] Leftover, string Request, string Response)> ConnectAsync(Uri url, string pathAndQuery, string? extensions = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, cts.Token).ConfigureAwait(false);
            var keyBytes = new byte[16];
            RandomNumberGenerator.Fill(keyBytes);
            string key = Convert.ToBase64String(keyBytes);
            string request = $"GET {pathAndQuery} HTTP/1.1\r\nUser-Agent: ConformanceRunner/1.0\r\nHost: {url.Host}:{url.Port}\r\n" +
                             "Upgrade: WebSocket\r\nConnection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n" +
                             $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" +
                             (extensions is null ? "" : $"Sec-WebSocket-Extensions: {extensions}\r\n") + "\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cts.Token).ConfigureAwait(false);
            var (head, leftover) = await ReadHeadAsync(socket, cts.Token).ConfigureAwait(false);
            var status = head.Split("\r\n")[0].Split(' ');
            if (status.Length < 2 || status[1] != "101") throw new InvalidDataException($"expected 101, got: {head.Split("\r\n")[0]}");
            var headers = Headers(head);
            if (!headers.TryGetValue("Sec-WebSocket-Accept", out var accept) || accept != AcceptFor(key))
                throw new InvalidDataException("missing or wrong Sec-WebSocket-Accept");
            return (socket, leftover, request, head + "\r\n\r\n");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Server side: reads the upgrade request, answers 101 (or 400 and throws). Returns path, query and leftover.</summary>
    /// <param name="chooseExtensions">Given path, query and the request's Sec-WebSocket-Extensions (or null), the
    /// extensions to answer with (or null); it may throw <see cref="InvalidDataException"/> to refuse the handshake.</param>
    public static async Task<(string Path, Dictionary<string, string> Query, byte[] Leftover)> AcceptAsync(Socket socket, string serverName,
        Func<string, Dictionary<string, string>, string?, string?>? chooseExtensions = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var (head, leftover) = await ReadHeadAsync(socket, cts.Token).ConfigureAwait(false);
        var requestLine = head.Split("\r\n")[0].Split(' ');
        var headers = Headers(head);
        if (requestLine.Length < 3 || requestLine[0] != "GET" || !headers.TryGetValue("Sec-WebSocket-Key", out var key)
            || !headers.TryGetValue("Upgrade", out var upgrade) || !upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase))
        {
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None).ConfigureAwait(false);
            throw new InvalidDataException("not a WebSocket upgrade request");
        }
        string target = requestLine[1];
        int q = target.IndexOf('?');
        string path = q < 0 ? target : target[..q];
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (q >= 0)
        {
            foreach (var pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                string k = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
                string v = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                query[k] = v;
            }
        }
        string? answerExtensions = null;
        if (chooseExtensions is not null)
        {
            try
            {
                answerExtensions = chooseExtensions(path, query, headers.TryGetValue("Sec-WebSocket-Extensions", out var ext) ? ext : null);
            }
            catch (InvalidDataException)
            {
                await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None).ConfigureAwait(false);
                throw;
            }
        }
        string response = $"HTTP/1.1 101 Switching Protocols\r\nServer: {serverName}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                          $"Sec-WebSocket-Accept: {AcceptFor(key)}\r\n" +
                          (answerExtensions is null ? "" : $"Sec-WebSocket-Extensions: {answerExtensions}\r\n") + "\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(response), SocketFlags.None).ConfigureAwait(false);
        return (path, query, leftover);
    }
}
