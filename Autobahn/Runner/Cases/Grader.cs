using ConformanceRunner.Wire;

namespace ConformanceRunner.Cases;

/// <summary>
/// wstest's grading rules, applied when the TCP connection of a case is gone:
/// <list type="bullet">
/// <item>behavior: the verdict whose expected event list equals the received events exactly (OK, NON-STRICT...);
/// otherwise what the case set itself (FAILED by default; section 9 sets OK on a correct echo).</item>
/// <item>behaviorClose, first rule that applies: the wrong side sent the first close → FAILED; a clean close was
/// required but not achieved → UNCLEAN; the peer sent a close code not in the list → WRONG CODE; the tester (as a
/// client) had to drop TCP itself → FAILED BY CLIENT; otherwise OK.</item>
/// <item>with <see cref="ExpectedClose.WrongEndpointIsFatal"/>, closing by the wrong side also fails the behavior.</item>
/// </list>
/// Case-specific rules (section 7's WRONG CODE → FAILED, informational cases, 10.1.1's frame counts) run after it.
/// </summary>
internal static class Grader
{
    public static void Grade(CaseBase c, TestConnection p)
    {
        foreach (var (verdict, events) in c.Expected)
        {
            if (Observed.SequenceMatches(c.Received, events))
            {
                c.Behavior = verdict;
                c.Result = "The events received match an expected outcome.";
                break;
            }
        }
        if (!p.ConnectionWasOpen)
        {
            c.BehaviorClose = Verdict.Failed;
            c.ResultClose = "The opening handshake never completed.";
            return;
        }
        var close = c.Close;
        if (close.ClosedByMe != p.ClosedByMe)
        {
            c.BehaviorClose = Verdict.Failed;
            c.ResultClose = "The wrong endpoint started the close.";
        }
        else if (close.RequireClean && !p.WasClean)
        {
            c.BehaviorClose = Verdict.Unclean;
            c.ResultClose = "A clean closing handshake was required.";
        }
        else if (p.RemoteCloseCode is int code && Array.IndexOf(close.Codes, code) < 0)
        {
            c.BehaviorClose = Verdict.WrongCode;
            c.ResultClose = $"The peer's close code should have been {string.Join(",", close.Codes)} or none.";
        }
        else if (!p.IsServer && p.DroppedByMe)
        {
            c.BehaviorClose = Verdict.FailedByClient;
            c.ResultClose = "The tester had to drop TCP; the server should do it.";
        }
        else
        {
            c.BehaviorClose = Verdict.Ok;
            c.ResultClose = "The connection was closed as expected.";
        }
        if (close.WrongEndpointIsFatal && close.ClosedByMe != p.ClosedByMe)
            c.Behavior = Verdict.Failed;
    }
}
