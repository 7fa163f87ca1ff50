using WsCore.Framing;
using System.Buffers;
using System.Text;
using FsCheck.Xunit;
using WsCore.Closing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// RFC 6455 §8.1 through the state machine, against the runtime's UTF-8 decoder as a reference: a text message is
/// accepted exactly when it is valid UTF-8, and an invalid one fails (1007) on the very byte that makes it invalid,
/// however the message is fragmented and fed. Long ASCII runs exercise the validator's fast paths.
/// </summary>
public class Utf8ReceiveProperties
{
    /// <summary>The index of the first byte at which <paramref name="p"/> can no longer be valid UTF-8; -1 if valid; -2 if it only ends early.</summary>
    private static int FirstBadByte(byte[] p)
    {
        int i = 0;
        while (i < p.Length)
        {
            OperationStatus s = Rune.DecodeFromUtf8(p.AsSpan(i), out _, out int n);
            if (s == OperationStatus.Done) { i += n; continue; }
            if (s == OperationStatus.NeedMoreData) return -2;
            byte b = p[i];
            return (b >= 0x80 && b < 0xC2) || b >= 0xF5 ? i : i + n;
        }
        return -1;
    }

    private static byte[] GeneratePayload(Random r)
    {
        var bytes = new List<byte>();
        string[] pieces = { "a", "ü", "€", "𤭢", "κόσμε", "\u007F", "\u0080", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFFFF", "\U00010000", "\U0010FFFF" };
        int parts = r.Next(1, 12);
        for (int k = 0; k < parts; k++)
        {
            if (r.Next(8) == 0)
            {
                // A sequence that is invalid, or valid only as a prefix: each kind of UTF-8 error (RFC 3629 §3-4).
                string[] bad = { "EDA080", "EDBFBF", "EDA0", "C080", "C1BF", "E08080", "E09FBF", "F0808080", "F08FBFBF", "F4908080", "F5", "FF", "FE", "80", "BF", "E282", "F09F98", "C2", "C220", "E22082" };
                bytes.AddRange(Convert.FromHexString(bad[r.Next(bad.Length)]));
            }
            else if (r.Next(3) == 0)
            {
                int run = r.Next(0, 200); // ASCII run: vector fast path
                for (int i = 0; i < run; i++) bytes.Add((byte)(0x20 + r.Next(0x5F)));
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(pieces[r.Next(pieces.Length)]));
            }
        }
        int mutations = r.Next(0, 3);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            int at = r.Next(bytes.Count);
            switch (r.Next(4))
            {
                case 0: bytes[at] = (byte)r.Next(256); break;
                case 1: bytes.Insert(at, (byte)(0x80 + r.Next(128))); break;
                case 2: bytes.RemoveAt(at); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break; // truncate, maybe inside a code point
            }
        }
        return bytes.ToArray();
    }

    [Property(MaxTest = 400)]
    public void Section_8_1_TextIsAcceptedExactlyWhenValid_AndFailsOnTheFirstBadByte(int seed)
    {
        var r = new Random(seed);
        byte[] payload = GeneratePayload(r);
        int bad = FirstBadByte(payload);

        // Fragment at random points (possibly inside code points), recording where each payload byte sits in the stream.
        var stream = new List<byte>();
        var position = new int[payload.Length];
        int fragments = r.Next(1, 4);
        int start = 0;
        for (int f = 0; f < fragments; f++)
        {
            bool last = f == fragments - 1;
            int end = last ? payload.Length : r.Next(start, payload.Length + 1);
            byte[] frame = Wire.Client(f == 0 ? 1 : 0, payload.AsSpan(start, end - start), fin: last);
            int headerLength = frame.Length - (end - start);
            for (int i = start; i < end; i++) position[i] = stream.Count + headerLength + (i - start);
            stream.AddRange(frame);
            start = end;
        }
        byte[] bytes = stream.ToArray();

        // Byte by byte, with a small destination: the failure must come with the first impossible byte.
        var h = new Harness(WebSocketRole.Server, destinationSize: 1 + r.Next(16));
        foreach (byte b in bytes) h.FeedPiece(new[] { b });
        if (bad == -1)
        {
            Assert.Null(h.Error);
            Assert.Equal(payload, Assert.Single(h.Events).Data);
            return;
        }
        Event error = Assert.Single(h.Events);
        Assert.Equal(ProtocolViolation.InvalidUtf8, error.Violation);
        Assert.Equal(bad == -2 ? bytes.Length - 1 : position[bad], error.Piece);
        Assert.Equal(CloseCodes.InvalidPayloadData, h.DrainClose().CloseCode);

        // One shot: the same verdict.
        var oneShot = new Harness(WebSocketRole.Server).Feed(bytes);
        Assert.Equal(ProtocolViolation.InvalidUtf8, Assert.Single(oneShot.Events).Violation);
    }

    /// <summary>
    /// Large text is unmasked and checked in 16 KiB blocks, and a block whose unmasked bytes are all ASCII is not
    /// validated again when it starts at a code point boundary. These messages put a code point (or a broken one)
    /// across a block boundary, and an all-ASCII block right after an unfinished code point: the verdict must be the
    /// runtime's, in both roles, one shot and in pieces, in one frame and split in two frames at the boundary.
    /// </summary>
    [Theory]
    [InlineData("C3A9", 16383, true)]        // é across the first block boundary
    [InlineData("E282AC", 16382, true)]      // € ending exactly at the boundary
    [InlineData("E282AC", 16383, true)]      // € across it
    [InlineData("F0A4ADA2", 16381, true)]    // 𤭢 across it
    [InlineData("C3", 16383, false)]         // a lead byte, then an all-ASCII block
    [InlineData("E282", 16382, false)]       // an unfinished 3-byte code point, then an all-ASCII block
    [InlineData("F0A4AD", 32765, false)]     // the same at the second boundary
    [InlineData("A9", 16384, false)]         // a stray continuation opening an otherwise ASCII block
    [InlineData("C3", 39999, false)]         // unfinished at the end of the message
    public void Section_8_1_CodePointsAcrossUnmaskingBlocks(string hex, int at, bool valid)
    {
        byte[] payload = new byte[40000];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)('a' + i % 26);
        byte[] planted = Convert.FromHexString(hex);
        planted.CopyTo(payload, at);
        Assert.Equal(valid, System.Text.Unicode.Utf8.IsValid(payload));

        foreach (WebSocketRole role in new[] { WebSocketRole.Server, WebSocketRole.Client })
        {
            Func<int, byte[], bool, byte[]> frame = role == WebSocketRole.Server
                ? (op, p, fin) => Wire.Client(op, p, fin)
                : (op, p, fin) => Wire.Server(op, p, fin);
            byte[] oneFrame = frame(1, payload, true);
            int cut = 16384;
            byte[] twoFrames = [.. frame(1, payload.AsSpan(0, cut).ToArray(), false), .. frame(0, payload.AsSpan(cut).ToArray(), true)];
            foreach (byte[] bytes in new[] { oneFrame, twoFrames })
            {
                var oneShot = new Harness(role, destinationSize: 65536).Feed(bytes);
                var pieces = new Harness(role, destinationSize: 65536);
                for (int offset = 0; offset < bytes.Length; offset += 5000) pieces.FeedPiece(bytes.AsSpan(offset, Math.Min(5000, bytes.Length - offset)));
                foreach (Harness h in new[] { oneShot, pieces })
                {
                    if (valid)
                    {
                        Assert.Null(h.Error);
                        Assert.Equal(payload, Assert.Single(h.Events).Data);
                    }
                    else
                    {
                        Assert.Equal(ProtocolViolation.InvalidUtf8, Assert.Single(h.Events).Violation);
                    }
                }
            }
        }
    }
}
