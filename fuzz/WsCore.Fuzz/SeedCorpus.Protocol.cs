using System.Buffers;
using System.IO.Compression;
using System.Text;
using WsCore.Compression;

namespace WsCore.Fuzz;

/// <summary>Seeds for the handshake, extension-header and permessage-deflate targets.</summary>
internal static partial class SeedCorpus
{
    private const string Request =
        "GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

    private const string Response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

    private static void WriteProtocolSeeds(Action<string, string, byte[]> save)
    {
        byte[] frame = [0x81, 0x85, 1, 2, 3, 4, 0x49, 0x67, 0x6F, 0x68, 0x6E];
        var requests = new (string Name, string Text)[]
        {
            ("valid", Request),
            ("minimal", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
            ("bare-lf", Request.Replace("\r\n", "\n", StringComparison.Ordinal)),
            ("no-key", Request.Replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", StringComparison.Ordinal)),
            ("bad-key", Request.Replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ", StringComparison.Ordinal)),
            ("version-8", Request.Replace("Version: 13", "Version: 8", StringComparison.Ordinal)),
            ("post", "POST" + Request.Substring(3)),
            ("http10", Request.Replace("HTTP/1.1", "HTTP/1.0", StringComparison.Ordinal)),
            ("folded", Request.Replace("Connection: Upgrade\r\n", "Connection: keep-alive,\r\n Upgrade\r\n", StringComparison.Ordinal)),
            ("two-keys", Request.Replace("Origin:", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin:", StringComparison.Ordinal)),
            ("connection-list", Request.Replace("Connection: Upgrade", "Connection: keep-alive, UPGRADE", StringComparison.Ordinal)),
            ("long-header", Request.Replace("Origin: http://example.com", "Origin: http://" + new string('x', 400), StringComparison.Ordinal)),
            ("truncated", Request.Substring(0, 60)),
        };
        foreach (var (name, text) in requests)
        {
            byte[] bytes = Cat(Encoding.Latin1.GetBytes(text), frame);
            foreach (byte control in new byte[] { 0x07, 0x00, 0x34, 0x0D })
                save("handshake-request", $"{name}.{control:x2}", Cat([control], bytes));
        }

        var responses = new (string Name, string Text)[]
        {
            ("valid", Response + "Sec-WebSocket-Protocol: chat\r\n\r\n"),
            ("no-subprotocol", Response + "\r\n"),
            ("extension", Response + "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n"),
            ("other-subprotocol", Response + "Sec-WebSocket-Protocol: mqtt\r\n\r\n"),
            ("wrong-accept", Response.Replace("s3pP", "s3pQ", StringComparison.Ordinal) + "\r\n"),
            ("status-200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            ("bare-lf", (Response + "\r\n").Replace("\r\n", "\n", StringComparison.Ordinal)),
            ("no-upgrade", Response.Replace("Upgrade: websocket\r\n", "", StringComparison.Ordinal) + "\r\n"),
        };
        foreach (var (name, text) in responses)
        {
            byte[] bytes = Cat(Encoding.Latin1.GetBytes(text), [0x81, 0x02, 0x68, 0x69]);
            foreach (byte control in new byte[] { 0x07, 0x08, 0x30, 0x5B })
                save("handshake-response", $"{name}.{control:x2}", Cat([control], bytes));
        }

        string[] headers =
        [
            "permessage-deflate",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12, permessage-deflate",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; client_max_window_bits=\"9\"; server_max_window_bits=\"15\"",
            "x-webkit-deflate-frame, permessage-deflate; foo=\"a\\\"b\"",
            "permessage-deflate; server_max_window_bits=08",
            "permessage-deflate; server_max_window_bits=7, permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate;; ,,  ; =",
            "permessage-deflate; client_max_window_bits=15; server_max_window_bits=8",
            "",
        ];
        for (int i = 0; i < headers.Length; i++)
        {
            foreach (byte control in new byte[] { 0x00, 0x1B, 0x2D, 0x36 })
                save("extensions", $"header{i:d2}.{control:x2}", Cat([control], Encoding.Latin1.GetBytes(headers[i])));
        }

        // permessage-deflate streams.
        byte[] hello = Deflate("Hello, compressed world! Hello, compressed world!"u8, 15);
        byte[] bomb = Deflate(new byte[300_000], 15);
        byte[] badUtf8 = Deflate([0x48, 0x69, 0xC0, 0xAF, 0x21], 15);
        byte[] small = Deflate(Encoding.UTF8.GetBytes(new string('a', 500) + "κόσμε"), 9);
        byte[] stored = Deflate(Fill(300), 8);
        byte[] corrupt = [0xFF, 0xFE, 0x00, 0x13, 0x37, 0x42];
        byte[] finalBlock = RawDeflate("final block, then more"u8);
        foreach (bool server in new[] { true, false })
        {
            bool m = server;
            byte role = server ? (byte)0 : (byte)1;
            var streams = new (string Name, byte Control, byte[] Stream)[]
            {
                ("hello-text", (byte)(role | 7 << 1 | 6 << 5), F(true, 1, hello, m, 0x40)),
                ("hello-binary-fragmented", (byte)(role | 7 << 1 | 2 << 5), Cat(F(false, 2, hello[..5], m, 0x40), F(true, 9, "p"u8.ToArray(), m), F(true, 0, hello[5..], m))),
                ("two-messages-context", (byte)(role | 7 << 1 | 1 << 5), Cat(F(true, 1, hello, m, 0x40), F(true, 1, Deflate2("Hello, compressed world! Hello, compressed world!"u8), m, 0x40), F(true, 1, "plain"u8.ToArray(), m))),
                ("bomb", (byte)(role | 7 << 1 | 0 << 5), F(true, 2, bomb, m, 0x40)),
                ("bomb-64k", (byte)(role | 7 << 1 | 6 << 5 | 16), Cat(F(true, 2, bomb, m, 0x40), F(true, 1, hello, m, 0x40))),
                ("corrupt", (byte)(role | 7 << 1 | 3 << 5), F(true, 2, corrupt, m, 0x40)),
                ("invalid-utf8", (byte)(role | 7 << 1 | 3 << 5), F(true, 1, badUtf8, m, 0x40)),
                ("window-9", (byte)(role | 1 << 1 | 7 << 5 | 16), Cat(F(true, 1, small, m, 0x40), F(true, 1, small, m, 0x40))),
                ("window-8-stored", (byte)(role | 0 << 1 | 2 << 5), F(true, 2, stored, m, 0x40)),
                ("final-block", (byte)(role | 7 << 1 | 2 << 5), F(true, 1, finalBlock, m, 0x40)),
                ("rsv1-continuation", (byte)(role | 7 << 1 | 2 << 5), Cat(F(false, 1, hello[..3], m, 0x40), F(true, 0, hello[3..], m, 0x40))),
                ("rsv1-ping", (byte)(role | 7 << 1 | 2 << 5), F(true, 9, hello, m, 0x40)),
                ("empty-compressed", (byte)(role | 7 << 1 | 2 << 5), Cat(F(true, 1, [0x00], m, 0x40), F(true, 2, [], m, 0x40), F(true, 8, Close(1000, "ok"), m))),
            };
            foreach (var (name, control, bytes) in streams)
            {
                foreach (byte schedule in new byte[] { 0x3F, 0x00, 0x0A, 0x21 })
                    save("receive-deflate", $"{(server ? "server" : "client")}-{name}.{schedule:x2}", Cat([control, (byte)(schedule * 37 + 1), schedule], bytes));
            }
        }

        var inflate = new (string Name, byte Window, byte[] Data)[]
        {
            ("hello", 7, hello), ("bomb", 7, bomb), ("bad-utf8", 7, badUtf8), ("window-9", 1, small), ("stored", 0, stored),
            ("corrupt", 7, corrupt), ("final-block", 7, finalBlock), ("two-messages", 7, Cat(hello, Deflate2("Hello, compressed world! Hello, compressed world!"u8))),
            ("empty-block", 7, [0x00]),
        };
        foreach (var (name, window, data) in inflate)
        {
            foreach (byte mode in new byte[] { 0x3F, 0x00, 0x8A, 0xC5 })
                save("inflate", $"{name}.{mode:x2}", Cat([(byte)(window | (mode & 0x18) | (mode << 4 & 0xF0))], [mode], data));
        }
    }

    /// <summary>One message compressed by the engine's compressor (the 00 00 FF FF trailer removed), fresh context.</summary>
    private static byte[] Deflate(ReadOnlySpan<byte> message, int windowBits)
    {
        using var c = new PerMessageDeflateCompressor(windowBits, noContextTakeover: false);
        return Compress(c, message);
    }

    /// <summary>The same message twice with context takeover: returns the second, compressed against the first.</summary>
    private static byte[] Deflate2(ReadOnlySpan<byte> message)
    {
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        Compress(c, message);
        return Compress(c, message);
    }

    private static byte[] Compress(PerMessageDeflateCompressor c, ReadOnlySpan<byte> message)
    {
        var output = new ArrayBufferWriter<byte>();
        byte[] buffer = new byte[4096];
        while (true)
        {
            OperationStatus s = c.Compress(message, buffer, true, out int consumed, out int written);
            output.Write(buffer.AsSpan(0, written));
            message = message.Slice(consumed);
            if (s == OperationStatus.Done) return output.WrittenSpan.ToArray();
        }
    }

    /// <summary>Raw DEFLATE from the runtime's DeflateStream: ends with a final block (BFINAL), which RFC 7692 allows.</summary>
    private static byte[] RawDeflate(ReadOnlySpan<byte> message)
    {
        using var ms = new MemoryStream();
        using (var d = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true)) d.Write(message);
        return ms.ToArray();
    }
}
