using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WsCore.EchoLoad;

/// <summary>
/// <c>--idle</c> (bench/idle-memory.sh): opens N WebSocket connections (its own upgrade request, its own frames),
/// exchanges one binary message of <c>--message-size</c> bytes on each (0: none) so every server has received and sent
/// on every connection, prints <c>open N errors E</c>, then holds them idle until a line <c>close</c> on standard input
/// (or end of input). Then it closes every connection with a close handshake (a masked 1000 close frame, the server's
/// close frame, the server's FIN, at most 10 s each), prints <c>closed N errors E</c> and exits. The connections come
/// from the loopback source addresses in <c>--sources</c> (comma-separated, round robin), so 10,000 connections do not
/// run short of ephemeral ports. Holds a socket and nothing else per idle connection.
/// </summary>
internal static class IdleLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Option(string name, string fallback)
        {
            int i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var inv = CultureInfo.InvariantCulture;
        var endpoint = new IPEndPoint(IPAddress.Parse(Option("host", "127.0.0.1")), int.Parse(Option("port", "9001"), inv));
        int connections = int.Parse(Option("connections", "1000"), inv);
        int size = int.Parse(Option("message-size", "20"), inv);
        int concurrency = int.Parse(Option("concurrency", "100"), inv);
        IPAddress[] sources = Option("sources", "127.0.0.1").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse).ToArray();

        var sockets = new Socket?[connections];
        int errors = 0;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            int next = -1;
            async Task Worker()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < connections)
                {
                    try
                    {
                        sockets[i] = await OpenAsync(endpoint, sources[i % sources.Length], size, i, timeout.Token);
                    }
                    catch (Exception e)
                    {
                        if (Interlocked.Increment(ref errors) <= 5) Console.Error.WriteLine($"connection {i}: {e.GetType().Name}: {e.Message}");
                    }
                }
            }
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        }
        int open = sockets.Count(s => s is not null);
        Console.WriteLine($"open {open} errors {errors}");

        // Hold until told to close (or until standard input ends).
        while (true)
        {
            string? line = await Console.In.ReadLineAsync();
            if (line is null || line.Trim() == "close") break;
        }

        int closeErrors = 0;
        int closed = 0;
        int nextClose = -1;
        async Task Closer()
        {
            int i;
            while ((i = Interlocked.Increment(ref nextClose)) < connections)
            {
                Socket? s = sockets[i];
                if (s is null) continue;
                sockets[i] = null;
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await CloseAsync(s, i, timeout.Token);
                    Interlocked.Increment(ref closed);
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref closeErrors) <= 5) Console.Error.WriteLine($"close {i}: {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    s.Dispose();
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Closer)));
        Console.WriteLine($"closed {closed} errors {closeErrors}");
        return errors == 0 && closeErrors == 0 ? 0 : 1;
    }

    private static async Task<Socket> OpenAsync(IPEndPoint endpoint, IPAddress source, int size, int seed, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(endpoint, cancellationToken);
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            byte[] request = Encoding.ASCII.GetBytes(
                $"GET / HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");
            await socket.SendAsync(request, SocketFlags.None, cancellationToken);
            int end = 0;
            int head;
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, cancellationToken);
                if (n == 0) throw new IOException("the server closed during the handshake");
                end += n;
                head = buffer.AsSpan(0, end).IndexOf("\r\n\r\n"u8);
                if (head >= 0) break;
                if (end == buffer.Length) throw new IOException("response head too long");
            }
            if (!buffer.AsSpan(0, head).StartsWith("HTTP/1.1 101"u8))
                throw new IOException("upgrade refused: " + Encoding.ASCII.GetString(buffer, 0, head));
            if (end != head + 4) throw new IOException("bytes after the 101 response");
            if (size > 0)
            {
                int frameLength = WriteFrame(buffer, 0x82, size, seed);
                await socket.SendAsync(buffer.AsMemory(0, frameLength), SocketFlags.None, cancellationToken);
                // The echo: every frame until one with FIN, payload bytes counted.
                long payload = await ReadMessageAsync(socket, buffer, cancellationToken, expectClose: false);
                if (payload != size) throw new IOException($"echo of {payload} bytes, sent {size}");
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CloseAsync(Socket socket, int seed, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int frameLength = WriteFrame(buffer, 0x88, 2, seed, closeCode: 1000);
            await socket.SendAsync(buffer.AsMemory(0, frameLength), SocketFlags.None, cancellationToken);
            await ReadMessageAsync(socket, buffer, cancellationToken, expectClose: true);
            // The server closes the TCP connection after its close frame: wait for its FIN.
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0) { }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A masked client frame: FIN + <paramref name="b0"/>'s opcode, a payload of <paramref name="size"/> bytes (a close code when given).</summary>
    private static int WriteFrame(byte[] buffer, byte b0, int size, int seed, ushort closeCode = 0)
    {
        if (size > buffer.Length - 14) throw new ArgumentOutOfRangeException(nameof(size));
        int header;
        buffer[0] = b0;
        if (size <= 125) { buffer[1] = (byte)(0x80 | size); header = 2; }
        else { buffer[1] = 0x80 | 126; BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)size); header = 4; }
        Span<byte> mask = buffer.AsSpan(header, 4);
        RandomNumberGenerator.Fill(mask);
        Span<byte> body = buffer.AsSpan(header + 4, size);
        if (closeCode != 0) BinaryPrimitives.WriteUInt16BigEndian(body, closeCode);
        else for (int i = 0; i < size; i++) body[i] = (byte)(seed + i);
        for (int i = 0; i < size; i++) body[i] ^= mask[i & 3];
        return header + 4 + size;
    }

    /// <summary>Reads server frames until a data message ends (its payload length is returned) or, with <paramref name="expectClose"/>, a close frame arrives.</summary>
    private static async Task<long> ReadMessageAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken, bool expectClose)
    {
        int start = 0, end = 0;
        long message = 0;
        while (true)
        {
            while (end - start >= 2)
            {
                byte b0 = buffer[start], b1 = buffer[start + 1];
                int len7 = b1 & 0x7F;
                int header = len7 <= 125 ? 2 : len7 == 126 ? 4 : 10;
                if (end - start < header) break;
                long length = len7 <= 125 ? len7 : len7 == 126
                    ? BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start + 2))
                    : (long)BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(start + 2));
                if (end - start < header + length) break; // small frames only: wait for the whole frame
                int opcode = b0 & 0x0F;
                start += header + (int)length;
                if (opcode == 8)
                {
                    if (expectClose) return 0;
                    throw new IOException("the server closed the connection");
                }
                if (opcode >= 8) continue; // ping or pong: ignore
                message += length;
                if ((b0 & 0x80) != 0 && !expectClose) return message;
            }
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) throw new IOException("frame too large for the idle client");
            int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, cancellationToken);
            if (n == 0) throw new IOException("the server closed the connection");
            end += n;
        }
    }
}
