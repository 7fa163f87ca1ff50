using WsCore.Closing;

namespace WsCore.Tests;

/// <summary>
/// <see cref="HandshakeFailureGuidance"/>: advice for a failed opening handshake by HTTP status (RFC 6455 §4.1,
/// RFC 9110 §15), <c>Retry-After</c> parsing (RFC 9110 §10.2.3) and the delay fed by <see cref="ReconnectBackoff"/>.
/// </summary>
public class HandshakeFailureGuidanceTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, false, HandshakeFailureAdvice.RetryWithBackoff)]   // no answer
    [InlineData(101, false, HandshakeFailureAdvice.StopAndReport)]    // a 101 that breaks §4.1
    [InlineData(200, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(301, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(400, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(401, false, HandshakeFailureAdvice.Reauthenticate)]
    [InlineData(403, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(404, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(407, false, HandshakeFailureAdvice.Reauthenticate)]
    [InlineData(408, false, HandshakeFailureAdvice.RetryWithBackoff)]
    [InlineData(426, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(429, false, HandshakeFailureAdvice.RetryWithBackoff)]
    [InlineData(429, true, HandshakeFailureAdvice.RetryAfter)]
    [InlineData(500, false, HandshakeFailureAdvice.RetryWithBackoff)]
    [InlineData(500, true, HandshakeFailureAdvice.RetryAfter)]
    [InlineData(501, true, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(502, false, HandshakeFailureAdvice.RetryWithBackoff)]
    [InlineData(503, false, HandshakeFailureAdvice.RetryWithBackoff)]
    [InlineData(503, true, HandshakeFailureAdvice.RetryAfter)]
    [InlineData(504, false, HandshakeFailureAdvice.RetryWithBackoff)]
    [InlineData(505, false, HandshakeFailureAdvice.StopAndReport)]
    [InlineData(599, true, HandshakeFailureAdvice.RetryAfter)]
    [InlineData(999, false, HandshakeFailureAdvice.StopAndReport)]
    public void Each_status_has_its_advice(int status, bool retryAfter, HandshakeFailureAdvice advice)
    {
        Assert.Equal(advice, HandshakeFailureGuidance.GetAdvice(status, retryAfter));
        Assert.Equal(advice is HandshakeFailureAdvice.RetryWithBackoff or HandshakeFailureAdvice.RetryAfter, HandshakeFailureGuidance.ShouldRetry(status, retryAfter));
        Assert.NotEmpty(HandshakeFailureGuidance.GetDescription(status));
        TimeSpan? delay = HandshakeFailureGuidance.GetRetryDelay(status, retryAfter ? TimeSpan.FromSeconds(120) : null, 3, Base, Cap, new Random(7));
        switch (advice)
        {
            case HandshakeFailureAdvice.RetryAfter:
                Assert.InRange(delay!.Value, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(120) + ReconnectBackoff.GetWindow(3, Base, Cap)); // at least what the server said, plus jitter
                break;
            case HandshakeFailureAdvice.RetryWithBackoff:
                Assert.InRange(delay!.Value, TimeSpan.Zero, ReconnectBackoff.GetWindow(3, Base, Cap) - TimeSpan.FromTicks(1));
                break;
            default:
                Assert.Null(delay);
                break;
        }
    }

    [Fact]
    public void A_Retry_After_longer_than_the_backoff_cap_is_still_honoured_and_jitter_spreads_a_fleet()
    {
        var random = new Random(1);
        var delays = new HashSet<TimeSpan>();
        for (int i = 0; i < 100; i++)
        {
            TimeSpan d = HandshakeFailureGuidance.GetRetryDelay(503, TimeSpan.FromMinutes(5), 0, Base, Cap, random)!.Value;
            Assert.InRange(d, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5) + Base);
            delays.Add(d);
        }
        Assert.True(delays.Count > 90, "the clients come back spread out");
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 0 ", 0)]
    [InlineData("99999999999999999999999", 86400)] // clamped to a day
    [InlineData("Wed, 21 Oct 2015 07:28:30 GMT", 30)]
    [InlineData("Wed, 21 Oct 2015 07:27:00 GMT", 0)] // in the past
    public void Retry_After_is_delay_seconds_or_an_HTTP_date(string value, int seconds)
    {
        var now = new DateTimeOffset(2015, 10, 21, 7, 28, 0, TimeSpan.Zero);
        Assert.True(HandshakeFailureGuidance.TryParseRetryAfter(value, now, out TimeSpan delay));
        Assert.Equal(TimeSpan.FromSeconds(seconds), delay);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("12 s")]
    [InlineData("tomorrow")]
    [InlineData("Wed, 32 Oct 2015 07:28:00 GMT")]
    public void A_malformed_Retry_After_is_ignored(string? value)
    {
        Assert.False(HandshakeFailureGuidance.TryParseRetryAfter(value, DateTimeOffset.UnixEpoch, out _));
    }
}
