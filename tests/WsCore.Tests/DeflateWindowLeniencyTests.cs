using System.Buffers;
using System.IO.Compression;
using WsCore.Compression;

namespace WsCore.Tests;

/// <summary>
/// The fuzz finding in fuzz/regressions/{inflate,receive-deflate}/window-exceeded-*: a peer that breaks its negotiated
/// window (refers back farther than 2^windowBits) used to be rejected (InvalidData → 1007) when inflated into small
/// destinations and accepted when inflated in one call, because zlib measures a distance against the history it holds
/// plus the output of the current call. The decompressor now keeps the full 32 KiB window, so the verdict depends on
/// the bytes alone: such a stream is accepted in every destination size, and a distance beyond everything inflated so
/// far is rejected in every destination size.
/// </summary>
public class DeflateWindowLeniencyTests
{
    private static readonly int[] s_sizes = [1, 2, 7, 64, 300, 4096, 100_000];

    private static byte[] CompressWithFullWindow(byte[] data)
    {
        var ms = new MemoryStream();
        using var d = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true);
        d.Write(data);
        d.Flush(); // a sync flush: ends with 00 00 FF FF
        byte[] all = ms.ToArray();
        Assert.True(all.AsSpan(all.Length - 4).SequenceEqual(new byte[] { 0, 0, 0xFF, 0xFF }));
        return all.AsSpan(0, all.Length - 4).ToArray(); // drop it, as a permessage-deflate sender does
    }

    private static (OperationStatus Status, byte[] Output) Inflate(byte[] compressed, int windowBits, int destinationSize, int pieceSize = int.MaxValue)
    {
        using var d = new PerMessageDeflateDecompressor(windowBits, noContextTakeover: false);
        byte[] destination = new byte[destinationSize];
        var output = new ArrayBufferWriter<byte>();
        int position = 0;
        for (int calls = 0; calls < 10_000_000; calls++)
        {
            int length = Math.Min(pieceSize, compressed.Length - position);
            bool end = position + length == compressed.Length;
            OperationStatus s = d.Decompress(compressed.AsSpan(position, length), destination, end, out int used, out int written);
            position += used;
            output.Write(destination.AsSpan(0, written));
            if (s == OperationStatus.DestinationTooSmall || (s == OperationStatus.NeedMoreData && !end)) continue;
            return (s, output.WrittenSpan.ToArray());
        }
        throw new InvalidOperationException("no progress");
    }

    [Fact]
    public void A_stream_within_its_window_inflates_in_any_destination_size()
    {
        byte[] block = new byte[250];
        new Random(3).NextBytes(block);
        byte[] data = [.. block, .. block]; // the only possible distance is 250: within a 9-bit (512-byte) window
        byte[] compressed = CompressWithFullWindow(data);
        var bad = new List<string>();
        foreach (int bits in new[] { 8, 9, 10, 15 })
        foreach (int size in s_sizes)
        {
            var (status, output) = Inflate(compressed, bits, size);
            if (status != OperationStatus.Done || !output.AsSpan().SequenceEqual(data)) bad.Add($"bits {bits} size {size}: {status} {output.Length}");
        }
        Assert.True(bad.Count == 0, string.Join("; ", bad));
    }

    [Fact]
    public void A_stream_beyond_its_window_gets_the_same_verdict_in_every_split()
    {
        byte[] block = new byte[1500];
        new Random(4).NextBytes(block);
        byte[] data = [.. block, .. block, .. block]; // repeats 1500 bytes back: beyond a 9-bit (512-byte) window
        byte[] compressed = CompressWithFullWindow(data);
        var bad = new List<string>();
        foreach (int bits in new[] { 8, 9, 12 })
        foreach (int size in s_sizes)
        foreach (int piece in new[] { 1, 5, 64, int.MaxValue })
        {
            var (status, output) = Inflate(compressed, bits, size, piece);
            if (status != OperationStatus.Done || !output.AsSpan().SequenceEqual(data)) bad.Add($"bits {bits} size {size} piece {piece}: {status} {output.Length}");
        }
        Assert.True(bad.Count == 0, string.Join("; ", bad));
    }

    [Fact]
    public void A_distance_beyond_everything_inflated_is_invalid_in_every_split()
    {
        // A fixed-Huffman block: literal 'a', then a match of length 3 at distance 2 (only 1 byte of history exists).
        byte[] compressed = BuildFixedBlock();
        foreach (int size in s_sizes)
        foreach (int piece in new[] { 1, int.MaxValue })
        {
            Assert.Equal(OperationStatus.InvalidData, Inflate(compressed, 15, size, piece).Status);
        }
    }

    /// <summary>BFINAL=0, BTYPE=01; literal 0x61; length 3 (code 257, no extra bits); distance 2 (code 1, no extra bits); end of block.</summary>
    private static byte[] BuildFixedBlock()
    {
        var bits = new List<int>();
        void Put(int value, int count) { for (int i = 0; i < count; i++) bits.Add((value >> i) & 1); }
        void PutHuffman(int code, int length) { for (int i = length - 1; i >= 0; i--) bits.Add((code >> i) & 1); }
        Put(0, 1); Put(1, 2);
        PutHuffman(0x30 + 0x61, 8);       // literal 'a' (0-143: 8 bits from 00110000)
        PutHuffman(257 - 256, 7);         // length code 257 = length 3 (256-279: 7 bits from 0)
        PutHuffman(1, 5);                 // distance code 1 = distance 2
        PutHuffman(0, 7);                 // end of block (256)
        while (bits.Count % 8 != 0) bits.Add(0);
        byte[] bytes = new byte[bits.Count / 8];
        for (int i = 0; i < bits.Count; i++) bytes[i / 8] |= (byte)(bits[i] << (i % 8));
        return bytes;
    }
}
