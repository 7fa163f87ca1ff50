using WsCore.Framing;
using System.Buffers;
using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WsCore.Compression;

namespace WsCore.Tests;

/// <summary>The permessage-deflate codec (RFC 7692 §7.2): compressor, decompressor, round trips, interop, limits.</summary>
public class PerMessageDeflateCodecTests
{
    // ------------------------------------------------------------------ helpers

    /// <summary>Compresses one message fed in the given pieces, with output spans of the given sizes.</summary>
    internal static byte[] CompressMessage(PerMessageDeflateCompressor c, ReadOnlySpan<byte> message, Random? split = null,
        int maxOutput = 4096)
    {
        var result = new List<byte>();
        byte[] output = new byte[Math.Max(maxOutput, PerMessageDeflateCompressor.MinimumDestinationLength)];
        int offset = 0;
        int guard = 0;
        while (true)
        {
            int pieceLength = split is null ? message.Length - offset : split.Next(0, message.Length - offset + 1);
            bool last = offset + pieceLength == message.Length;
            ReadOnlySpan<byte> piece = message.Slice(offset, pieceLength);
            while (true)
            {
                int outLength = split is null ? output.Length
                    : split.Next(PerMessageDeflateCompressor.MinimumDestinationLength, output.Length + 1);
                OperationStatus status = c.Compress(piece, output.AsSpan(0, outLength), last, out int consumed, out int written);
                result.AddRange(output.AsSpan(0, written).ToArray());
                piece = piece[consumed..];
                offset += consumed;
                Assert.True(++guard < 10_000_000, "compressor made no progress");
                if (status == OperationStatus.Done)
                {
                    Assert.True(piece.IsEmpty);
                    break;
                }
                Assert.Equal(OperationStatus.DestinationTooSmall, status);
            }
            if (last) return result.ToArray();
        }
    }

    /// <summary>Decompresses one message fed in pieces; returns the status that ended it and the output.</summary>
    internal static (OperationStatus Status, byte[] Output) DecompressMessage(PerMessageDeflateDecompressor d,
        ReadOnlySpan<byte> compressed, Random? split = null, int maxOutput = 4096, int limit = int.MaxValue)
    {
        var result = new List<byte>();
        byte[] output = new byte[maxOutput];
        int offset = 0;
        int guard = 0;
        while (true)
        {
            int pieceLength = split is null ? compressed.Length - offset : split.Next(0, compressed.Length - offset + 1);
            bool last = offset + pieceLength == compressed.Length;
            ReadOnlySpan<byte> piece = compressed.Slice(offset, pieceLength);
            while (true)
            {
                int outLength = split is null ? output.Length : split.Next(1, output.Length + 1);
                OperationStatus status = d.Decompress(piece, output.AsSpan(0, outLength), last, out int consumed, out int written);
                Assert.InRange(written, 0, outLength);
                result.AddRange(output.AsSpan(0, written).ToArray());
                piece = piece[consumed..];
                offset += consumed;
                Assert.True(++guard < 10_000_000, "decompressor made no progress");
                if (result.Count > limit) return (OperationStatus.DestinationTooSmall, result.ToArray());
                if (status == OperationStatus.InvalidData) return (status, result.ToArray());
                if (status == OperationStatus.Done)
                {
                    Assert.True(last && piece.IsEmpty);
                    return (status, result.ToArray());
                }
                if (status == OperationStatus.NeedMoreData)
                {
                    Assert.False(last);
                    Assert.True(piece.IsEmpty);
                    break;
                }
                Assert.Equal(OperationStatus.DestinationTooSmall, status);
            }
        }
    }

    private static byte[] Decompress(PerMessageDeflateDecompressor d, params byte[] compressed)
    {
        (OperationStatus status, byte[] output) = DecompressMessage(d, compressed);
        Assert.Equal(OperationStatus.Done, status);
        return output;
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>Test data of several kinds, chosen by <paramref name="kind"/>.</summary>
    internal static byte[] MakeData(int kind, int length, Random r)
    {
        byte[] data = new byte[length];
        switch (kind % 4)
        {
            case 0: r.NextBytes(data); break;                                  // incompressible
            case 1: break;                                                     // zeros
            case 2:                                                            // text with long-distance repeats
                byte[] words = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog 0123456789 ");
                for (int i = 0; i < length; i++) data[i] = words[(i * 7 + i / 1000) % words.Length];
                break;
            default:                                                           // random runs of a small alphabet
                for (int i = 0; i < length; i++) data[i] = (byte)('a' + r.Next(4));
                break;
        }
        return data;
    }

    // ------------------------------------------------------------------ RFC 7692 §7.2.3 examples

    [Fact]
    public void Rfc7692_7_2_3_1_HelloDecompresses()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 48 cd c9 c9 07 00"))));
    }

    [Fact]
    public void Rfc7692_7_2_3_1_HelloSplitAcrossFramesDecompresses()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        byte[] out1 = new byte[16];
        Assert.Equal(OperationStatus.NeedMoreData, d.Decompress(Hex("f2 48 cd"), out1, false, out int c1, out int w1));
        Assert.Equal(3, c1);
        Assert.Equal(OperationStatus.Done, d.Decompress(Hex("c9 c9 07 00"), out1.AsSpan(w1), true, out int c2, out int w2));
        Assert.Equal(4, c2);
        Assert.Equal("Hello", Encoding.ASCII.GetString(out1, 0, w1 + w2));
    }

    [Fact]
    public void Rfc7692_7_2_3_2_SecondMessageReferencesTheFirst()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 48 cd c9 c9 07 00"))));
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 00 11 00 00"))));
    }

    [Fact]
    public void Rfc7692_7_2_3_3_StoredBlockDecompresses()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("00 05 00 fa ff 48 65 6c 6c 6f 00"))));
    }

    [Fact]
    public void Rfc7692_7_2_3_4_TwoBlocksInOneMessageDecompress()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"))));
    }

    [Fact]
    public void Rfc7692_7_2_3_5_FinalBlockThenAnotherMessage()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        // BFINAL=1 block, then a 00 octet; the next message starts a new DEFLATE stream.
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f3 48 cd c9 c9 07 00 00"))));
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f3 48 cd c9 c9 07 00"))));
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 48 cd c9 c9 07 00"))));
    }

    [Fact]
    public void Rfc7692_7_2_3_6_EmptyMessageIsOneZeroOctet()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Empty(Decompress(d, 0x00));
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 48 cd c9 c9 07 00"))));
    }

    [Property(MaxTest = 300)]
    public void RfcExamplesDecompressUnderAnySplitAndOutputSize(int seed)
    {
        var r = new Random(seed);
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        foreach (string hex in new[]
        {
            "f2 48 cd c9 c9 07 00", "f2 00 11 00 00", "00 05 00 fa ff 48 65 6c 6c 6f 00",
            "f2 48 05 00 00 00 ff ff ca c9 c9 07 00", "f3 48 cd c9 c9 07 00 00", "f3 48 cd c9 c9 07 00",
        })
        {
            (OperationStatus status, byte[] output) = DecompressMessage(d, Hex(hex), r, maxOutput: r.Next(1, 8));
            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal("Hello", Encoding.ASCII.GetString(output));
        }
    }

    [Fact]
    public void EmptyCompressedPayloadIsAnEmptyMessageAndKeepsTheContext()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 48 cd c9 c9 07 00"))));
        Assert.Empty(Decompress(d));
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, Hex("f2 00 11 00 00"))));
    }

    [Fact]
    public void CompressedHelloIsTheRfcExampleWithoutTrailer()
    {
        // RFC 7692 §7.2.3.1: "Hello" → f2 48 cd c9 c9 07 00 (the sync flush's 00 00 FF FF removed).
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        byte[] compressed = CompressMessage(c, "Hello"u8);
        Assert.Equal(Hex("f2 48 cd c9 c9 07 00"), compressed);
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Equal("Hello", Encoding.ASCII.GetString(Decompress(d, compressed)));
    }

    [Fact]
    public void EmptyMessageCompressesToAFewBytesAndRoundTrips()
    {
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        for (int i = 0; i < 3; i++)
        {
            byte[] compressed = CompressMessage(c, ReadOnlySpan<byte>.Empty);
            Assert.InRange(compressed.Length, 1, 2);
            Assert.Empty(Decompress(d, compressed));
        }
    }

    // ------------------------------------------------------------------ round trips

    [Property(MaxTest = 300)]
    public void RoundTripAnyDataAnySplitAnyWindow(byte[] payload, int seed, bool serverNoContextTakeover)
    {
        var r = new Random(seed);
        int windowBits = 8 + (seed & 7);
        using var c = new PerMessageDeflateCompressor(windowBits, serverNoContextTakeover, compressionLevel: r.Next(1, 10), memoryLevel: r.Next(1, 10));
        using var d = new PerMessageDeflateDecompressor(windowBits, serverNoContextTakeover);
        int messages = r.Next(1, 5);
        for (int m = 0; m < messages; m++)
        {
            byte[] data = m == 0 ? payload : MakeData(r.Next(4), r.Next(0, 3000), r);
            byte[] compressed = CompressMessage(c, data, r, maxOutput: r.Next(8, 300));
            (OperationStatus status, byte[] output) = DecompressMessage(d, compressed, r, maxOutput: r.Next(1, 300));
            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(data, output);
        }
    }

    [Theory]
    [InlineData(8)] [InlineData(9)] [InlineData(10)] [InlineData(11)] [InlineData(12)]
    [InlineData(13)] [InlineData(14)] [InlineData(15)]
    public void EveryWindowSizeRoundTripsLargeMessagesWithAndWithoutContextTakeover(int windowBits)
    {
        var r = new Random(windowBits);
        foreach (bool noContextTakeover in new[] { false, true })
        {
            using var c = new PerMessageDeflateCompressor(windowBits, noContextTakeover);
            using var d = new PerMessageDeflateDecompressor(windowBits, noContextTakeover);
            for (int m = 0; m < 6; m++)
            {
                byte[] data = MakeData(m, 20_000 + r.Next(100_000), r);
                byte[] compressed = CompressMessage(c, data, r, maxOutput: 1 << r.Next(3, 16));
                (OperationStatus status, byte[] output) = DecompressMessage(d, compressed, r, maxOutput: 1 << r.Next(0, 16));
                Assert.Equal(OperationStatus.Done, status);
                Assert.Equal(data, output);
            }
        }
    }

    [Fact]
    public void ContextTakeoverMakesRepeatedMessagesSmaller()
    {
        byte[] data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 40).Select(i => $"item {i * 7919 % 1000}, ")));
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        int first = CompressMessage(c, data).Length;
        int second = CompressMessage(c, data).Length;
        Assert.True(second < first / 4, $"first {first}, second {second}");
        using var independent = new PerMessageDeflateCompressor(15, noContextTakeover: true);
        int a = CompressMessage(independent, data).Length;
        int b = CompressMessage(independent, data).Length;
        Assert.Equal(a, b);
    }

    [Property(MaxTest = 100)]
    public void NoContextTakeoverMessagesDecompressWithAFreshInflater(int seed)
    {
        // RFC 7692 §7.1.1: with no context takeover, each message must stand alone. A fresh inflater per message
        // fails ("distance too far back") or differs if the compressor referred to an earlier message.
        var r = new Random(seed);
        int windowBits = 9 + (seed & 3) * 2;
        using var c = new PerMessageDeflateCompressor(windowBits, noContextTakeover: true);
        byte[] shared = MakeData(2, 2000, r);
        for (int m = 0; m < 4; m++)
        {
            byte[] data = shared.AsSpan(0, r.Next(1, shared.Length)).ToArray();
            byte[] compressed = CompressMessage(c, data, r, maxOutput: r.Next(8, 200));
            using var fresh = new PerMessageDeflateDecompressor(windowBits, noContextTakeover: false);
            (OperationStatus status, byte[] output) = DecompressMessage(fresh, compressed, r, maxOutput: r.Next(1, 200));
            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(data, output);
        }
    }

    [Fact]
    public void WindowBits8SendsStoredBlocksOnly()
    {
        // zlib cannot build a raw DEFLATE stream with a 256-byte window: at 8 the compressor sends stored blocks,
        // which refer to no window, so the output is never smaller than the input (plus block headers).
        byte[] data = new byte[10_000];
        using var c = new PerMessageDeflateCompressor(8, noContextTakeover: false);
        Assert.Equal(0, c.CompressionLevel);
        byte[] compressed = CompressMessage(c, data);
        Assert.True(compressed.Length >= data.Length, $"{compressed.Length}");
        using var d = new PerMessageDeflateDecompressor(8, noContextTakeover: false);
        Assert.Equal(data, Decompress(d, compressed));
    }

    // ------------------------------------------------------------------ interop with System.IO.Compression

    [Property(MaxTest = 100)]
    public void DeflateStreamSyncFlushedOutputDecompressesWithOurs(int seed)
    {
        var r = new Random(seed);
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        var sink = new MemoryStream();
        using var deflate = new DeflateStream(sink, CompressionLevel.Optimal, leaveOpen: true);
        for (int m = 0; m < 3; m++)
        {
            byte[] data = MakeData(r.Next(4), r.Next(0, 50_000), r);
            long start = sink.Length;
            deflate.Write(data);
            deflate.Flush(); // Z_SYNC_FLUSH: ends with 00 00 FF FF
            byte[] message = sink.ToArray()[(int)start..];
            Assert.True(message.AsSpan().EndsWith(new byte[] { 0x00, 0x00, 0xFF, 0xFF }));
            (OperationStatus status, byte[] output) = DecompressMessage(d, message.AsSpan(0, message.Length - 4), r, maxOutput: r.Next(1, 5000));
            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(data, output);
        }
    }

    [Property(MaxTest = 100)]
    public void OurOutputPlusTrailerInflatesWithDeflateStream(int seed)
    {
        var r = new Random(seed);
        using var c = new PerMessageDeflateCompressor(9 + (seed & 3) * 2, noContextTakeover: (seed & 4) != 0);
        var stream = new MemoryStream();
        var expected = new MemoryStream();
        for (int m = 0; m < 3; m++)
        {
            byte[] data = MakeData(r.Next(4), r.Next(0, 30_000), r);
            expected.Write(data);
            stream.Write(CompressMessage(c, data, r, maxOutput: r.Next(8, 3000)));
            stream.Write([0x00, 0x00, 0xFF, 0xFF]);
        }
        stream.Write([0x03, 0x00]); // an empty final block, so the stream is complete
        stream.Position = 0;
        using var inflate = new DeflateStream(stream, CompressionMode.Decompress);
        var actual = new MemoryStream();
        inflate.CopyTo(actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    // ------------------------------------------------------------------ limits and bad data

    [Fact]
    public void DecompressionBombStopsAtTheLimitPlusOneBuffer()
    {
        // 10 MiB of zeros compress to ~10 KB; the caller counts output and gives up past 1 MiB (then closes with 1009).
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false, compressionLevel: 9);
        byte[] bomb = CompressMessage(c, new byte[10 << 20], maxOutput: 1 << 16);
        Assert.True(bomb.Length < 20_000, $"{bomb.Length}");

        const int limit = 1 << 20;
        const int bufferSize = 16 * 1024;
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        byte[] buffer = new byte[bufferSize];
        ReadOnlySpan<byte> input = bomb;
        long total = 0;
        int calls = 0;
        OperationStatus status;
        do
        {
            status = d.Decompress(input, buffer, isEndOfMessage: true, out int consumed, out int written);
            input = input[consumed..];
            total += written;
            calls++;
        } while (status == OperationStatus.DestinationTooSmall && total <= limit);

        Assert.Equal(OperationStatus.DestinationTooSmall, status);
        Assert.True(total > limit && total <= limit + bufferSize, $"{total}");
        Assert.True(input.Length > 0, "the bomb was stopped before all of it was read");
        Assert.Equal(limit / bufferSize + 1, calls);
    }

    [Theory]
    [InlineData("07")]                      // BFINAL=1, BTYPE=11 (reserved)
    [InlineData("06 ff ff")]                // BTYPE=11
    [InlineData("00 05 00 00 00 48")]       // stored block with LEN/NLEN mismatch
    [InlineData("fc ff ff ff ff ff ff")]    // dynamic block with impossible code lengths
    public void CorruptDataIsInvalidData(string hex)
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        (OperationStatus status, _) = DecompressMessage(d, Hex(hex));
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.True(d.HasFailed);
        Assert.Equal(OperationStatus.InvalidData, d.Decompress(Hex("f2 48 cd c9 c9 07 00"), new byte[16], true, out _, out _));
    }

    [Fact]
    public void DistanceBeyondTheNegotiatedWindowIsAcceptedWithinTheFullWindow()
    {
        // Compressed with a 32 KiB window, with matches ~4000 bytes back: the peer broke a 9-bit negotiation, but the
        // inflater keeps the full window so that its verdict cannot depend on destination sizes (DeflateWindowLeniencyTests).
        var r = new Random(5);
        byte[] block = new byte[4000];
        r.NextBytes(block);
        byte[] data = [.. block, .. block];
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        byte[] compressed = CompressMessage(c, data);
        Assert.True(compressed.Length < 5000);
        using var d = new PerMessageDeflateDecompressor(9, noContextTakeover: false);
        (OperationStatus status, byte[] output) = DecompressMessage(d, compressed);
        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(data, output);
    }

    [Property(MaxTest = 1000)]
    public void RandomInputNeverThrowsNorHangs(byte[] garbage, int seed)
    {
        var r = new Random(seed);
        using var d = new PerMessageDeflateDecompressor(8 + (seed & 7), noContextTakeover: (seed & 8) != 0);
        for (int m = 0; m < 3; m++)
        {
            (OperationStatus status, _) = DecompressMessage(d, garbage, r, maxOutput: r.Next(1, 100), limit: 1 << 20);
            Assert.True(status is OperationStatus.Done or OperationStatus.InvalidData or OperationStatus.DestinationTooSmall);
            if (status != OperationStatus.Done) break;
        }
    }

    [Fact]
    public void CallsWithNothingToDoMakeNoProgressAndReturnAtOnce()
    {
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        byte[] buffer = new byte[PerMessageDeflateCompressor.MinimumDestinationLength];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, d.Decompress(default, buffer, false, out int c, out int w));
            Assert.Equal(0, c + w);
        }
        using var comp = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(OperationStatus.Done, comp.Compress(default, buffer, false, out int c, out int w));
            Assert.Equal(0, c);
        }
    }

    [Fact]
    public void TinyDestinationsAreRejectedAsArgumentErrors()
    {
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        Assert.Throws<ArgumentException>(() => c.Compress("x"u8, new byte[PerMessageDeflateCompressor.MinimumDestinationLength - 1], true, out _, out _));
        using var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        Assert.Throws<ArgumentException>(() => d.Decompress("x"u8, Span<byte>.Empty, true, out _, out _));
    }

    [Fact]
    public void DisposeTwiceIsSafeAndUseAfterDisposeThrows()
    {
        var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        c.Dispose();
        c.Dispose();
        Assert.Throws<ObjectDisposedException>(() => c.Compress("x"u8, new byte[16], true, out _, out _));
        var d = new PerMessageDeflateDecompressor(15, noContextTakeover: false);
        d.Dispose();
        d.Dispose();
        Assert.Throws<ObjectDisposedException>(() => d.Decompress("x"u8, new byte[16], true, out _, out _));
    }

    [Fact]
    public void InvalidSettingsThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateCompressor(7, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateCompressor(16, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateCompressor(15, false, compressionLevel: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateCompressor(15, false, memoryLevel: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateDecompressor(7, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateDecompressor(16, false));
    }

    [Fact]
    public void ConstructorsFromParametersPickTheRightDirection()
    {
        var p = new PerMessageDeflateParameters(serverMaxWindowBits: 10, serverNoContextTakeover: true, clientMaxWindowBits: 12, clientNoContextTakeover: false);
        using var serverSend = new PerMessageDeflateCompressor(p, WebSocketRole.Server);
        using var clientSend = new PerMessageDeflateCompressor(p, WebSocketRole.Client);
        using var serverReceive = new PerMessageDeflateDecompressor(p, WebSocketRole.Server);
        using var clientReceive = new PerMessageDeflateDecompressor(p, WebSocketRole.Client);
        Assert.Equal((10, true), (serverSend.WindowBits, serverSend.NoContextTakeover));
        Assert.Equal((12, false), (clientSend.WindowBits, clientSend.NoContextTakeover));
        Assert.Equal((12, false), (serverReceive.WindowBits, serverReceive.NoContextTakeover));
        Assert.Equal((10, true), (clientReceive.WindowBits, clientReceive.NoContextTakeover));
    }

    // ------------------------------------------------------------------ allocations

    [Fact]
    public void SteadyStateCompressAndDecompressAllocateNothing()
    {
        byte[] message = MakeData(2, 10_000, new Random(1));
        byte[] compressed = new byte[16_384];
        byte[] output = new byte[4096];
        foreach (bool noContextTakeover in new[] { false, true })
        {
            using var c = new PerMessageDeflateCompressor(15, noContextTakeover);
            using var d = new PerMessageDeflateDecompressor(15, noContextTakeover);
            RoundTrip(c, d, message, compressed, output); // warm-up (JIT, tiering, lazy native window)
            for (int i = 0; i < 50; i++) RoundTrip(c, d, message, compressed, output);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++) RoundTrip(c, d, message, compressed, output);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
        }

        static void RoundTrip(PerMessageDeflateCompressor c, PerMessageDeflateDecompressor d, byte[] message, byte[] compressed, byte[] output)
        {
            // Compress in two pieces, decompress in 4 KiB output buffers.
            int half = message.Length / 2;
            c.Compress(message.AsSpan(0, half), compressed, false, out _, out int w1);
            OperationStatus s = c.Compress(message.AsSpan(half), compressed.AsSpan(w1), true, out _, out int w2);
            if (s != OperationStatus.Done) throw new InvalidOperationException();
            ReadOnlySpan<byte> input = compressed.AsSpan(0, w1 + w2);
            int total = 0;
            while (true)
            {
                s = d.Decompress(input, output, true, out int consumed, out int written);
                input = input[consumed..];
                total += written;
                if (s == OperationStatus.Done) break;
                if (s != OperationStatus.DestinationTooSmall) throw new InvalidOperationException();
            }
            if (total != message.Length) throw new InvalidOperationException();
        }
    }
}
