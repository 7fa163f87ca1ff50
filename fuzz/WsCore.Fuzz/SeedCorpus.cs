using System.Buffers.Binary;
using System.Text;
using WsCore.Framing;

namespace WsCore.Fuzz;

/// <summary>Writes the small hand-made seed corpus (fuzz/corpus/TARGET/NAME): valid and broken inputs of every kind.</summary>
internal static partial class SeedCorpus
{
    private const uint Key = 0x9A3C5E71;

    public static int Write(string root)
    {
        int count = 0;
        void Save(string target, string name, byte[] data)
        {
            string dir = Path.Combine(root, target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), data);
            count++;
        }

        foreach (bool server in new[] { true, false })
        {
            string target = server ? "receive-server" : "receive-client";
            bool m = server; // a server receives masked frames, a client unmasked ones
            byte[] hello = Encoding.UTF8.GetBytes("Hello");
            var streams = new (string Name, byte[] Stream)[]
            {
                ("text-hello", F(true, 1, hello, m)),
                ("binary-empty", F(true, 2, [], m)),
                ("binary-125", F(true, 2, Fill(125), m)),
                ("binary-126-len16", F(true, 2, Fill(126), m)),
                ("binary-len64-nonminimal", Raw(0x82, m, 127, Fill(3))),
                ("binary-len16-nonminimal", Raw(0x82, m, 126, Fill(4))),
                ("fragmented-text-with-ping", Cat(F(false, 1, "Hel"u8.ToArray(), m), F(true, 9, "p"u8.ToArray(), m), F(true, 0, "lo"u8.ToArray(), m))),
                ("fragmented-binary-3", Cat(F(false, 2, Fill(2), m), F(false, 0, [], m), F(true, 0, Fill(5), m))),
                ("text-split-codepoint", Cat(F(false, 1, [0xE2, 0x82], m), F(true, 0, [0xAC], m))),
                ("ping-pong-empty", Cat(F(true, 9, [], m), F(true, 10, "pong"u8.ToArray(), m), F(true, 9, Fill(125), m))),
                ("close-1000-reason", Cat(F(true, 8, Close(1000, "bye"), m), F(true, 1, hello, m))),
                ("close-empty", F(true, 8, [], m)),
                ("close-4999", F(true, 8, Close(4999, ""), m)),
                ("close-one-byte", F(true, 8, [3], m)),
                ("close-1005", F(true, 8, Close(1005, ""), m)),
                ("close-bad-utf8-reason", F(true, 8, Cat(Close(1000, ""), [0xC0, 0xAF]), m)),
                ("text-invalid-utf8", F(true, 1, [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xED, 0xA0, 0x80, 0x65], m)),
                ("reserved-opcode-3", F(true, 3, [], m)),
                ("reserved-opcode-11", F(true, 11, [], m)),
                ("rsv1-set", F(true, 1, hello, m, rsv: 0x40)),
                ("ping-not-fin", F(false, 9, [], m)),
                ("ping-126", F(true, 9, Fill(126), m)),
                ("continuation-first", F(true, 0, hello, m)),
                ("text-during-fragmented", Cat(F(false, 1, hello, m), F(true, 1, hello, m))),
                ("wrong-masking", F(true, 2, Fill(3), !m)),
                ("len64-top-bit", Cat([0x82, (byte)((m ? 0x80 : 0) | 127), 0x80, 0, 0, 0, 0, 0, 0, 1], m ? [1, 2, 3, 4] : [])),
                ("two-messages-then-close-then-garbage", Cat(F(true, 1, hello, m), F(true, 2, Fill(10), m), F(true, 8, Close(1001, ""), m), [0xFF, 0xFF, 0x00])),
                ("truncated-header", [0x81, (byte)((m ? 0x80 : 0) | 126), 0x01]),
            };
            // Option prefixes: [flags, limits, split seed, actions].
            var prefixes = new (string Name, byte[] Prefix)[]
            {
                ("whole", [0x03, 0xFF, 0x00, 0x00]),
                ("trickle", [0x03 | (1 << 2) | (1 << 5), 0xFF, 0x17, 0x00]),
                ("chunks-small-limits-actions", [0x00 | (4 << 2) | (3 << 5), 0x15, 0x5A, 0x02]),
            };
            foreach (var (name, stream) in streams)
            {
                foreach (var (pname, prefix) in prefixes)
                {
                    if (pname != "whole" && !(name.StartsWith("fragmented", StringComparison.Ordinal) || name.StartsWith("text", StringComparison.Ordinal)
                        || name.StartsWith("close-1000", StringComparison.Ordinal) || name.StartsWith("ping", StringComparison.Ordinal))) continue;
                    Save(target, $"{name}.{pname}", Cat(prefix, stream));
                }
            }
        }

        // frame-header: every length form, masked and not, truncated and invalid.
        Save("frame-header", "len7-masked", F(true, 1, "abc"u8.ToArray(), true));
        Save("frame-header", "len7-unmasked", F(true, 2, Fill(5), false));
        Save("frame-header", "len16", F(false, 0, Fill(200), false).AsSpan(0, 4 + 10).ToArray());
        Save("frame-header", "len16-masked", F(true, 2, Fill(300), true).AsSpan(0, 8 + 3).ToArray());
        Save("frame-header", "len64", [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0, 9]);
        Save("frame-header", "len64-masked-max", [0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]);
        Save("frame-header", "len64-top-bit", [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        Save("frame-header", "len16-nonminimal", [0x81, 126, 0, 5, 1, 2, 3, 4, 5]);
        Save("frame-header", "len64-nonminimal-masked", [0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 2, 9, 9, 9, 9, 1, 2]);
        Save("frame-header", "rsv-all-opcode-15", [0xFF, 0x00]);
        Save("frame-header", "truncated-mask", [0x89, 0x85, 1, 2]);
        Save("frame-header", "one-byte", [0x81]);

        // close-payload.
        Save("close-payload", "empty", []);
        Save("close-payload", "one-byte", [0x03]);
        Save("close-payload", "1000", Close(1000, ""));
        Save("close-payload", "1000-reason", Close(1000, "Normal closure"));
        Save("close-payload", "1001-utf8-reason", Close(1001, "κόσμε"));
        Save("close-payload", "1005", Close(1005, ""));
        Save("close-payload", "0999", Close(999, ""));
        Save("close-payload", "1016", Close(1016, ""));
        Save("close-payload", "3000", Close(3000, ""));
        Save("close-payload", "4999", Close(4999, "x"));
        Save("close-payload", "5000", Close(5000, ""));
        Save("close-payload", "invalid-utf8-reason", Cat(Close(1000, ""), [0xCE, 0xBA, 0xED, 0xA0, 0x80]));
        Save("close-payload", "max-125", Cat(Close(1000, ""), Ascii(123)));
        Save("close-payload", "too-long-126", Cat(Close(1000, ""), Ascii(124)));

        // utf8 (first byte picks the split): Autobahn 6.x style sequences.
        var utf8 = new (string Name, byte[] Bytes)[]
        {
            ("kosme", Encoding.UTF8.GetBytes("κόσμε")),
            ("ascii", "Hello-World"u8.ToArray()),
            ("boundary-first-2", [0xC2, 0x80]), ("boundary-first-3", [0xE0, 0xA0, 0x80]), ("boundary-first-4", [0xF0, 0x90, 0x80, 0x80]),
            ("boundary-last-1", [0x7F]), ("boundary-last-2", [0xDF, 0xBF]), ("boundary-last-3", [0xEF, 0xBF, 0xBF]), ("boundary-last-4", [0xF4, 0x8F, 0xBF, 0xBF]),
            ("beyond-10ffff", [0xF4, 0x90, 0x80, 0x80]), ("f5", [0xF5, 0x80, 0x80, 0x80]), ("fe-ff", [0xFE, 0xFF]),
            ("lone-continuation", [0x41, 0x80, 0x41]), ("all-continuations", [0x80, 0x8F, 0x9F, 0xBF]),
            ("lonely-start", [0xC0, 0x20, 0xE0, 0x20]), ("truncated-3", [0xE2, 0x82]), ("truncated-4", [0xF0, 0x9F, 0x98]),
            ("overlong-slash", [0xC0, 0xAF]), ("overlong-3", [0xE0, 0x80, 0xAF]), ("overlong-4", [0xF0, 0x80, 0x80, 0xAF]), ("overlong-max-2", [0xC1, 0xBF]),
            ("surrogate-high", [0xED, 0xA0, 0x80]), ("surrogate-low", [0xED, 0xBF, 0xBF]), ("surrogate-pair", [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80]),
            ("noncharacter-fffe", [0xEF, 0xBF, 0xBE]), ("euro-emoji", Encoding.UTF8.GetBytes("a€b😀c")),
            ("kosme-then-bad", [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64]),
        };
        byte[] splits = [0x00, 0x01, 0x0B, 0x26];
        foreach (var (name, bytes) in utf8)
        {
            foreach (byte split in splits)
            {
                if (split != 0 && bytes.Length < 3) continue;
                Save("utf8", $"{name}.split{split:x2}", Cat([split], bytes));
            }
        }
        WriteProtocolSeeds(Save);
        return count;
    }

    /// <summary>A frame in minimal form.</summary>
    private static byte[] F(bool fin, int opcode, byte[] payload, bool masked, byte rsv = 0)
    {
        byte[] frame = new byte[FrameWriter.GetFrameLength(payload.Length, masked)];
        FrameWriter.TryWriteFrame(frame, (WebSocketOpcode)opcode, payload, fin, rsv, masked, Key, out _);
        return frame;
    }

    /// <summary>A final frame with a chosen (possibly non-minimal) length form: len7 = 126 or 127.</summary>
    private static byte[] Raw(byte b0, bool masked, int len7, byte[] payload)
    {
        var bytes = new List<byte> { b0, (byte)((masked ? 0x80 : 0) | len7) };
        Span<byte> len = stackalloc byte[8];
        if (len7 == 126) { BinaryPrimitives.WriteUInt16BigEndian(len, (ushort)payload.Length); bytes.AddRange(len.Slice(0, 2).ToArray()); }
        else { BinaryPrimitives.WriteUInt64BigEndian(len, (ulong)payload.Length); bytes.AddRange(len.ToArray()); }
        byte[] body = (byte[])payload.Clone();
        if (masked)
        {
            byte[] key = new byte[4];
            Masking.WriteKey(key, Key);
            bytes.AddRange(key);
            Masking.Apply(body, Key, 0);
        }
        bytes.AddRange(body);
        return bytes.ToArray();
    }

    private static byte[] Close(ushort code, string reason)
    {
        byte[] r = Encoding.UTF8.GetBytes(reason);
        byte[] p = new byte[2 + r.Length];
        BinaryPrimitives.WriteUInt16BigEndian(p, code);
        r.CopyTo(p, 2);
        return p;
    }

    private static byte[] Fill(int n)
    {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)(i * 7 + 1);
        return b;
    }

    private static byte[] Ascii(int n)
    {
        byte[] b = new byte[n];
        b.AsSpan().Fill((byte)'a');
        return b;
    }

    private static byte[] Cat(params byte[][] parts)
    {
        var all = new List<byte>();
        foreach (byte[] p in parts) all.AddRange(p);
        return all.ToArray();
    }
}
