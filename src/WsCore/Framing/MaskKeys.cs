using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace WsCore.Framing;

/// <summary>
/// Client mask keys (RFC 6455 §5.3 / §10.3) from a cryptographically strong source, drawn in bulk
/// into a per-thread buffer so that a frame costs a buffer read, not a call into the OS generator.
/// </summary>
public static class MaskKeys
{
    private const int BufferKeys = 256;
    [ThreadStatic] private static uint[]? t_keys;
    [ThreadStatic] private static int t_next;

    /// <summary>Returns a fresh, unpredictable mask key.</summary>
    /// <remarks>Allocation-free except for the first call on each thread (which allocates that thread's 1 KiB buffer).</remarks>
    public static uint Next()
    {
        uint[]? keys = t_keys;
        int next = t_next;
        if (keys is null || (uint)next >= (uint)keys.Length)
        {
            keys = Refill();
            next = 0;
        }
        t_next = next + 1;
        return keys[next];
    }

    /// <summary>Fills this thread's buffer with new keys from the OS generator (kept out of line: rare).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint[] Refill()
    {
        uint[] keys = t_keys ??= new uint[BufferKeys];
        RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(keys.AsSpan()));
        return keys;
    }
}
