using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WsCore.Framing;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.3: the masking transform, its rotation across pieces, and its vector paths.</summary>
public class MaskingTests
{
    /// <summary>The §5.3 definition, byte by byte: j = i MOD 4, transformed-octet-i = original-octet-i XOR masking-key-octet-j.</summary>
    private static byte[] Reference(ReadOnlySpan<byte> data, ReadOnlySpan<byte> keyBytes, int startOffset)
    {
        var result = new byte[data.Length];
        for (int i = 0; i < data.Length; i++) result[i] = (byte)(data[i] ^ keyBytes[(startOffset + i) % 4]);
        return result;
    }

    private static byte[] KeyBytes(uint key)
    {
        var k = new byte[4];
        Masking.WriteKey(k, key);
        return k;
    }

    /// <summary>Turns arbitrary ints into sorted cut points within [0, length].</summary>
    private static int[] CutPoints(int[] cuts, int length)
    {
        var points = new int[cuts.Length];
        for (int i = 0; i < cuts.Length; i++) points[i] = (int)((uint)cuts[i] % (uint)(length + 1));
        Array.Sort(points);
        return points;
    }

    [Fact]
    public void Section5_3_KeyWireBytesRoundTrip()
    {
        byte[] wire = [0x37, 0xFA, 0x21, 0x3D];
        uint key = Masking.ReadKey(wire);
        Assert.Equal(0x3D21FA37u, key);
        Assert.Equal(wire, KeyBytes(key));
    }

    [Fact]
    public void Section5_7_MaskedHelloExample()
    {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
        byte[] data = "Hello"u8.ToArray();
        uint key = Masking.ReadKey([0x37, 0xFA, 0x21, 0x3D]);
        Assert.Equal(1, Masking.Apply(data, key, 0));
        Assert.Equal(new byte[] { 0x7F, 0x9F, 0x4D, 0x51, 0x58 }, data);
    }

    [Property]
    public void ChunkedEqualsOneShot_AnySplit(byte[] data, uint key, byte offset, int[] cuts)
    {
        int start = offset & 3;
        byte[] expected = Reference(data, KeyBytes(key), start);

        byte[] inPlace = (byte[])data.Clone();
        byte[] copied = new byte[data.Length];
        int offIn = start, offCopy = start, from = 0;
        foreach (int to in CutPoints(cuts, data.Length).Append(data.Length))
        {
            offIn = Masking.Apply(inPlace.AsSpan(from, to - from), key, offIn);
            offCopy = Masking.Apply(data.AsSpan(from, to - from), copied.AsSpan(from), key, offCopy);
            from = to;
        }
        Assert.Equal(expected, inPlace);
        Assert.Equal(expected, copied);
        Assert.Equal((start + data.Length) & 3, offIn);
        Assert.Equal((start + data.Length) & 3, offCopy);
    }

    [Property]
    public void InPlaceEqualsCopy_AndCopyToSameMemoryWorks(byte[] data, uint key, byte offset)
    {
        int start = offset & 3;
        byte[] a = (byte[])data.Clone();
        byte[] b = new byte[data.Length];
        byte[] c = (byte[])data.Clone();
        int ra = Masking.Apply(a, key, start);
        int rb = Masking.Apply(data, b, key, start);
        int rc = Masking.Apply(c, c, key, start); // destination is the same memory as the source
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal(ra, rb);
        Assert.Equal(ra, rc);
    }

    [Property]
    public void MaskingTwiceIsIdentity(byte[] data, uint key, byte offset)
    {
        byte[] copy = (byte[])data.Clone();
        Masking.Apply(copy, key, offset & 3);
        Masking.Apply(copy, key, offset & 3);
        Assert.Equal(data, copy);
    }

    [Fact]
    public void VectorPathsMatchDefinition_Lengths0To300_AllOffsets_AllAlignments()
    {
        var random = new Random(6455);
        var buffer = new byte[300 + 64 + 8];
        random.NextBytes(buffer);
        for (int length = 0; length <= 300; length++)
        for (int start = 0; start < 4; start++)
        for (int align = 0; align < 64; align += 7)
        {
            uint key = (uint)random.Next() ^ ((uint)random.Next() << 16);
            CheckAgainstReference(buffer.AsSpan(align, length), key, start, buffer.AsSpan(align + length, 4));
        }
    }

    [Fact]
    public void AlignedLoopMatchesDefinition_EveryHeadLength()
    {
        // From 512 bytes on, the 512-bit loop first transforms a head (0-63 bytes) so its stores are aligned:
        // every head length, key phase and source/destination misalignment must give the §5.3 result.
        var random = new Random(512);
        var buffer = new byte[1200];
        random.NextBytes(buffer);
        for (int length = 500; length <= 760; length += 13)
        for (int align = 0; align < 64; align++)
            CheckAgainstReference(buffer.AsSpan(align, length), (uint)random.NextInt64(), random.Next(4), buffer.AsSpan(align + length, 4));
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(65536)]
    [InlineData(65536 + 255)]
    [InlineData(1048576 + 127)]
    public void VectorPathsMatchDefinition_LargeLengths(int baseLength)
    {
        var random = new Random(baseLength);
        // Lengths around every vector width's boundaries: 16, 32, 64 and the 256-byte unrolled block.
        foreach (int delta in new[] { -257, -256, -255, -65, -64, -63, -33, -32, -17, -16, -5, -4, -1, 0, 1, 3, 4, 15, 16, 31, 33, 63, 64, 65, 255 })
        {
            var buffer = new byte[baseLength + 400];
            random.NextBytes(buffer);
            int align = random.Next(64);
            int start = random.Next(4);
            uint key = (uint)random.NextInt64();
            CheckAgainstReference(buffer.AsSpan(align, baseLength + delta), key, start, buffer.AsSpan(align + baseLength + delta, 4));
        }
    }

    /// <summary>Checks both overloads against <see cref="Reference"/> and that no byte after the data is touched.</summary>
    private static void CheckAgainstReference(Span<byte> data, uint key, int start, Span<byte> guard)
    {
        byte[] original = data.ToArray();
        byte[] guardBefore = guard.ToArray();
        byte[] expected = Reference(original, KeyBytes(key), start);

        Assert.Equal((start + data.Length) & 3, Masking.Apply(data, key, start));
        Assert.True(data.SequenceEqual(expected), $"in place, length {data.Length}, offset {start}");
        Assert.True(guard.SequenceEqual(guardBefore), "in place wrote past the end");

        var destination = new byte[data.Length + 4];
        Assert.Equal((start + data.Length) & 3, Masking.Apply(original, destination, key, start));
        Assert.True(destination.AsSpan(0, data.Length).SequenceEqual(expected), $"copy, length {data.Length}, offset {start}");
        Assert.True(destination.AsSpan(data.Length).SequenceEqual(new byte[4]), "copy wrote past the end");

        var checkedCopy = new byte[data.Length + 4];
        Assert.Equal((start + data.Length) & 3, Masking.ApplyAndCheckAscii(original, checkedCopy, key, start, out bool allAscii));
        Assert.True(checkedCopy.AsSpan(0, data.Length).SequenceEqual(expected), $"checked copy, length {data.Length}, offset {start}");
        Assert.True(checkedCopy.AsSpan(data.Length).SequenceEqual(new byte[4]), "checked copy wrote past the end");
        Assert.Equal(Array.TrueForAll(expected, b => b < 0x80), allAscii);

        original.CopyTo(data); // restore for the caller's next round
    }

    /// <summary>
    /// Masks <paramref name="plain"/> (text that is ASCII but perhaps for planted bytes), then unmasks it with the
    /// checking overload, copying and in place, and compares both the bytes and the ASCII verdict.
    /// </summary>
    private static void CheckAsciiVerdict(byte[] plain, Span<byte> room, uint key, int start)
    {
        Span<byte> masked = room.Slice(0, plain.Length);
        Reference(plain, KeyBytes(key), start).CopyTo(masked);
        bool expectedAscii = Array.TrueForAll(plain, b => b < 0x80);

        var destination = new byte[plain.Length];
        Masking.ApplyAndCheckAscii(masked, destination, key, start, out bool allAscii);
        Assert.Equal(plain, destination);
        Assert.True(expectedAscii == allAscii, $"copy: length {plain.Length}, offset {start}, expected ASCII {expectedAscii}");

        Masking.ApplyAndCheckAscii(masked, masked, key, start, out allAscii);
        Assert.True(masked.SequenceEqual(plain), "in place");
        Assert.True(expectedAscii == allAscii, $"in place: length {plain.Length}, offset {start}, expected ASCII {expectedAscii}");
    }

    [Fact]
    public void AsciiVerdict_OneHighByteAtEveryPosition_Lengths0To300()
    {
        // Every vector path and the scalar tail must see a high bit wherever it is, in any key phase and alignment.
        var random = new Random(0x80);
        var room = new byte[300 + 64];
        for (int length = 0; length <= 300; length++)
        {
            byte[] plain = new byte[length];
            for (int i = 0; i < length; i++) plain[i] = (byte)random.Next(0x80);
            int align = random.Next(64);
            uint key = (uint)random.NextInt64();
            int start = random.Next(4);
            CheckAsciiVerdict(plain, room.AsSpan(align), key, start);
            for (int position = 0; position < length; position++)
            {
                byte kept = plain[position];
                plain[position] = (byte)(0x80 | random.Next(0x80));
                CheckAsciiVerdict(plain, room.AsSpan(align), key, start);
                plain[position] = kept;
            }
        }
    }

    [Theory]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(700)]
    [InlineData(16 * 1024)]
    [InlineData(1048576 + 127)]
    public void AsciiVerdict_LargeLengths_HighByteNearEveryBoundary(int length)
    {
        // The aligned head, the unrolled 256-byte loop, the 64/32/16-byte loops and the tail each hold the one
        // high byte in turn.
        var random = new Random(length);
        byte[] plain = new byte[length];
        for (int i = 0; i < length; i++) plain[i] = (byte)random.Next(0x80);
        var room = new byte[length + 64];
        int[] positions = [0, 1, 15, 16, 63, 64, 65, 255, 256, 257, length / 2, length - 257, length - 65, length - 33, length - 17, length - 5, length - 1];
        for (int align = 0; align < 64; align += 21)
        {
            uint key = (uint)random.NextInt64();
            int start = random.Next(4);
            CheckAsciiVerdict(plain, room.AsSpan(align), key, start);
            foreach (int position in positions)
            {
                byte kept = plain[position];
                plain[position] = 0xC3;
                CheckAsciiVerdict(plain, room.AsSpan(align), key, start);
                plain[position] = kept;
            }
        }
    }

    [Fact]
    public void CopyIntoShorterDestinationIsACallerError()
    {
        Assert.Throws<ArgumentException>(() => Masking.Apply(new byte[10], new byte[9], 1u, 0));
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        var data = new byte[70_000];
        var destination = new byte[70_000];
        int offset = 0;
        for (int i = 0; i < 10; i++) offset = Masking.Apply(data, 0x12345678u, offset); // warm up (tiered JIT)

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            int length = (i * 7919) % data.Length;
            offset = Masking.Apply(data.AsSpan(0, length), 0x9ABCDEF0u, offset);
            offset = Masking.Apply(data.AsSpan(0, length), destination, 0x9ABCDEF0u, offset);
            offset = Masking.ApplyAndCheckAscii(data.AsSpan(0, length), destination, 0x9ABCDEF0u, offset, out _);
        }
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(before, after);
    }
}
