namespace WsCore.Fuzz;

/// <summary>
/// One fuzz target: a pure function of its input bytes that throws <see cref="FuzzInvariantException"/> when an
/// oracle check fails. Targets must be deterministic (the same input always takes the same path) and must not keep
/// state between runs, so that AFL's coverage and the corpus replay tests see the same behaviour.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line and as the corpus/regression folder name.</summary>
    string Name { get; }

    /// <summary>Runs one input through the code under test and checks every invariant.</summary>
    void Run(ReadOnlySpan<byte> input);
}

/// <summary>Thrown when an invariant of the code under test does not hold: AFL records the input as a crash.</summary>
public sealed class FuzzInvariantException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException(string message) : base(message) { }

    /// <summary>Creates the exception for an unexpected exception thrown by the code under test.</summary>
    public FuzzInvariantException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The checks every target shares.</summary>
public static class Oracle
{
    /// <summary>Fails the run with <paramref name="message"/> when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string message)
    {
        if (!condition) throw new FuzzInvariantException(message);
    }

    /// <summary>Fails the run with a message built only when the check fails.</summary>
    public static void Check<T>(bool condition, string format, T arg)
    {
        if (!condition) throw new FuzzInvariantException(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg));
    }

    /// <summary>Fails the run when the two byte sequences differ.</summary>
    public static void Equal(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (!expected.SequenceEqual(actual))
            throw new FuzzInvariantException($"{what}: expected [{Convert.ToHexString(expected)}] but got [{Convert.ToHexString(actual)}]");
    }
}

/// <summary>
/// A small deterministic generator (xorshift32) seeded from input bytes: it picks split points and buffer sizes so
/// that one input byte changes the whole schedule, as .NET's own WebSocket fuzzer does with its trickle stream.
/// </summary>
public struct SplitSchedule
{
    private uint _state;

    /// <summary>Creates a schedule from a seed (0 is mapped to a non-zero state).</summary>
    public SplitSchedule(uint seed) => _state = seed * 2654435761u | 1;

    /// <summary>The next value in [1, max] (max at least 1).</summary>
    public int Next(int max)
    {
        uint x = _state;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        _state = x;
        return max <= 1 ? 1 : (int)(x % (uint)max) + 1;
    }
}

/// <summary>Every target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>All targets.</summary>
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new ReceiveTarget(Framing.WebSocketRole.Server),
        new ReceiveTarget(Framing.WebSocketRole.Client),
        new FrameHeaderTarget(),
        new ClosePayloadTarget(),
        new Utf8Target(),
        new HandshakeRequestTarget(),
        new HandshakeResponseTarget(),
        new ExtensionsTarget(),
        new ReceiveDeflateTarget(),
        new InflateTarget(),
    ];

    /// <summary>Finds a target by name (ordinal, case-sensitive); null when there is none.</summary>
    public static IFuzzTarget? Find(string name)
    {
        foreach (IFuzzTarget t in All)
        {
            if (t.Name == name) return t;
        }
        return null;
    }

    /// <summary>
    /// Runs one input; any exception other than <see cref="FuzzInvariantException"/> is wrapped in one, so every
    /// failure carries the same type (the code under test documents no exception for peer-controlled data).
    /// </summary>
    public static void Run(IFuzzTarget target, ReadOnlySpan<byte> input)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            target.Run(input);
        }
        catch (FuzzInvariantException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new FuzzInvariantException($"{target.Name}: unexpected {e.GetType().Name}: {e.Message}", e);
        }
    }
}
