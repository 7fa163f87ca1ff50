using System.Buffers;
using System.IO.Compression;
using WsCore.Compression;

namespace WsCore.Tests;

/// <summary>
/// The fuzz finding in fuzz/open-findings/: a peer that breaks its negotiated window (distances beyond 2^windowBits) is
/// rejected (InvalidData → 1007) when inflated into small destinations, but may be accepted when inflated in one call,
/// because zlib measures a distance against the history it holds plus the output of the current call. A peer that keeps
/// to its window is accepted either way; only a non-conforming stream sees the difference.
/// </summary>
public class DeflateWindowLeniencyTests
{
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

    private static (OperationStatus Status, int Total) Inflate(byte[] compressed, int windowBits, int destinationSize)
    {
        using var d = new PerMessageDeflateDecompressor(windowBits, noContextTakeover: false);
        byte[] destination = new byte[destinationSize];
        ReadOnlySpan<byte> input = compressed;
        int total = 0;
        for (int calls = 0; calls < 1_000_000; calls++)
        {
            OperationStatus s = d.Decompress(input, destination, isEndOfMessage: true, out int used, out int written);
            input = input.Slice(used);
            total += written;
            if (s != OperationStatus.DestinationTooSmall) return (s, total);
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
        foreach (int bits in new[] { 9, 10, 15 })
        foreach (int size in new[] { 1, 2, 7, 64, 300, 100_000 })
        {
            var (status, total) = Inflate(compressed, bits, size);
            if (status != OperationStatus.Done || total != data.Length) bad.Add($"bits {bits} size {size}: {status} {total}");
        }
        Assert.True(bad.Count == 0, string.Join("; ", bad));
    }

    [Fact]
    public void A_stream_beyond_its_window_is_rejected_in_small_pieces()
    {
        byte[] block = new byte[1500];
        new Random(4).NextBytes(block);
        byte[] data = [.. block, .. block]; // repeats 1500 bytes back: beyond a 9-bit (512-byte) window
        byte[] compressed = CompressWithFullWindow(data);
        Assert.Equal(OperationStatus.InvalidData, Inflate(compressed, 9, 1).Status);
        // In one call zlib may still accept it (the lenient case the fuzzer saw); either way nothing throws.
        OperationStatus whole = Inflate(compressed, 9, 100_000).Status;
        Assert.True(whole is OperationStatus.Done or OperationStatus.InvalidData);
    }
}
