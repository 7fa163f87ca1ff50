using ConformanceRunner.Wire;

namespace ConformanceRunner.Cases;

/// <summary>The verdict words wstest writes in its reports (behavior and behaviorClose).</summary>
internal static class Verdict
{
    public const string Ok = "OK";
    public const string NonStrict = "NON-STRICT";
    public const string Failed = "FAILED";
    public const string WrongCode = "WRONG CODE";
    public const string Unclean = "UNCLEAN";
    public const string FailedByClient = "FAILED BY CLIENT";
    public const string Informational = "INFORMATIONAL";
    public const string Unimplemented = "UNIMPLEMENTED";
}

/// <summary>How a case expects the connection to end.</summary>
/// <param name="ClosedByMe">The tester is expected to send the first close frame (the peer must not fail first).</param>
/// <param name="Codes">Close codes the peer may send; an absent code is always accepted.</param>
/// <param name="RequireClean">The closing handshake must complete.</param>
/// <param name="WrongEndpointIsFatal">If the wrong side closes first, the case's behavior fails too (the peer missed the error).</param>
internal sealed record ExpectedClose(bool ClosedByMe, int[] Codes, bool RequireClean, bool WrongEndpointIsFatal = false)
{
    public static ExpectedClose NormalByMe => new(true, new[] { 1000 }, true);
    public static ExpectedClose PeerFails(int code) => new(false, new[] { code }, false);
    public static ExpectedClose PeerFailsFatal(int code) => new(false, new[] { code }, false, true);
}

/// <summary>
/// The common part of every case: what it expects (event lists per verdict, how the close must go) and what it
/// saw; <see cref="Grader"/> judges it by wstest's rules when the connection is gone.
/// When every expected outcome matches the received events and the tester is to close, it sends close 1000 at once.
/// </summary>
internal abstract class CaseBase
{
    public CaseDef Def = null!;
    public readonly List<(string Verdict, List<Observed> Events)> Expected = new();
    public ExpectedClose Close = ExpectedClose.NormalByMe;
    public readonly List<Observed> Received = new();
    public string Behavior = Verdict.Failed;
    public string BehaviorClose = Verdict.Failed;
    public string Result = "The events received differ from every expected outcome.";
    public string ResultClose = "TCP was dropped without a closing handshake.";
    public bool SuppressClose;

    public void Expect(string verdict, params Observed[] events) => Expected.Add((verdict, events.ToList()));

    public abstract void OnOpen(TestConnection p);

    public virtual void OnMessage(TestConnection p, byte[] payload, bool binary)
    {
        Received.Add(Observed.Message(payload, binary));
        FinishWhenDone(p);
    }

    public virtual void OnPong(TestConnection p, byte[] payload)
    {
        Received.Add(Observed.Pong(payload));
        FinishWhenDone(p);
    }

    /// <summary>If every expected outcome equals what was received, start the closing handshake (when the tester is to close).</summary>
    protected void FinishWhenDone(TestConnection p)
    {
        foreach (var (_, events) in Expected)
            if (!Observed.SequenceMatches(Received, events)) return;
        if (Close.ClosedByMe && !SuppressClose) p.SendClose(Close.Codes[0]);
    }

    public virtual void OnConnectionLost(TestConnection p) => Grade(p);

    protected void Grade(TestConnection p) => Grader.Grade(this, p);
}

/// <summary>A case given as small scripts: what to do on open, optional message hook, optional post-grading rule.</summary>
internal sealed class ScriptedCase : CaseBase
{
    public required Action<ScriptedCase, TestConnection> Open { get; init; }
    public Func<ScriptedCase, TestConnection, byte[], bool, bool>? Message { get; init; }
    public Action<ScriptedCase, TestConnection>? AfterGrade { get; init; }
    public Action<ScriptedCase>? Init { get; init; }

    /// <summary>Per-instance scratch counter for scripts that count steps (9.7/9.8 round trips).</summary>
    public int Counter;

    public override void OnOpen(TestConnection p) => Open(this, p);

    public override void OnMessage(TestConnection p, byte[] payload, bool binary)
    {
        if (Message is null || !Message(this, p, payload, binary)) base.OnMessage(p, payload, binary);
    }

    public override void OnConnectionLost(TestConnection p)
    {
        Grade(p);
        AfterGrade?.Invoke(this, p);
    }
}

/// <summary>One catalogue entry: the case number (wstest's), short words of our own, and how to make a fresh instance.</summary>
internal sealed record CaseDef(string Id, string Description, string Expectation, Func<CaseBase> Create, bool Informational = false)
{
    /// <summary>permessage-deflate: what the tester offers (as client) and how it answers offers (as server); null for
    /// every case outside sections 12/13 (the tester neither offers nor accepts extensions there, as wstest).</summary>
    public Deflate.DeflateSetup? Deflate { get; init; }

    public int[] Tuple { get; } = Id.Split('.').Select(int.Parse).ToArray();

    public CaseBase NewInstance()
    {
        var c = Create();
        c.Def = this;
        if (c is ScriptedCase s) s.Init?.Invoke(s);
        return c;
    }
}
