using System.Numerics;
using WsCore.Framing;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.3 / §10.3: client mask keys must be fresh and unpredictable for each frame.</summary>
public class MaskKeysTests
{
    [Fact]
    public void Section10_3_KeysAreFreshAcrossManyBufferRefills()
    {
        // 1000 keys span four refills of the per-thread buffer. Collisions among 1000 random 32-bit values
        // are possible (p ~ 1e-4), so allow a handful rather than asserting perfect distinctness.
        var seen = new HashSet<uint>();
        for (int i = 0; i < 1000; i++) seen.Add(MaskKeys.Next());
        Assert.True(seen.Count >= 995, $"only {seen.Count} distinct keys of 1000");
    }

    [Fact]
    public void EveryKeyBitIsBalanced()
    {
        // Each bit of 8192 random keys is set 4096 +- 45 (one standard deviation); 30% off would be ~80 sigmas.
        const int count = 8192;
        var ones = new int[32];
        for (int i = 0; i < count; i++)
        {
            uint key = MaskKeys.Next();
            for (int b = 0; b < 32; b++) ones[b] += (int)((key >> b) & 1);
        }
        for (int b = 0; b < 32; b++) Assert.InRange(ones[b], count * 35 / 100, count * 65 / 100);
    }

    [Fact]
    public void ThreadsDrawDifferentKeys()
    {
        var fromOtherThread = new uint[64];
        var thread = new Thread(() => { for (int i = 0; i < fromOtherThread.Length; i++) fromOtherThread[i] = MaskKeys.Next(); });
        thread.Start();
        thread.Join();
        var here = new uint[64];
        for (int i = 0; i < here.Length; i++) here[i] = MaskKeys.Next();
        Assert.NotEqual(here, fromOtherThread);
        Assert.NotEqual(0, here.Aggregate(0, (acc, k) => acc + BitOperations.PopCount(k)));
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        MaskKeys.Next(); // the first call on a thread allocates its buffer
        long before = GC.GetAllocatedBytesForCurrentThread();
        uint xor = 0;
        for (int i = 0; i < 10_000; i++) xor ^= MaskKeys.Next(); // crosses many refills
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(before, after);
        GC.KeepAlive(xor);
    }
}
