"""Phrase bank for the demo generator: data only, no logic.

Written independently of the taxonomy (never derived from `cockpit/taxonomy/*.yaml` or shared
data), because the demo is later used to test the tagger honestly.

`PHRASES[topic_id][automation_type]` holds message templates. `{slot}` placeholders are filled
by `cockpit.demo` (see `SLOTS` for the slots it knows). Vertical topics only ever appear for
accounts of that vertical; shared topics appear everywhere and get vertical flavour from the
vertical-dependent slots ({product}, {app}, {plan}, {feature}).
"""

from __future__ import annotations

VERTICALS = ("fintech", "ecommerce", "saas", "gaming", "healthcare")

SHARED_TOPICS = (
    "account_access",
    "billing",
    "plans",
    "integrations",
    "bugs",
    "how_to",
    "data_privacy",
    "feedback",
    "contact",
)
VERTICAL_TOPICS = {
    "ecommerce": ("orders", "shipping", "returns", "payments", "product_info"),
    "fintech": ("cards", "transfers", "fees_fx", "identity", "fraud_disputes"),
    "saas": ("users_permissions", "reporting", "data_import_export", "performance", "onboarding"),
    "gaming": ("purchases", "game_account", "gameplay", "connectivity", "events_rewards"),
    "healthcare": (
        "appointments",
        "prescriptions",
        "insurance",
        "test_results",
        "medical_records",
    ),
}

# (informational, personalized, action) share of each topic's conversations.
TYPE_MIX = {
    "account_access": (0.25, 0.40, 0.35),
    "billing": (0.25, 0.45, 0.30),
    "plans": (0.45, 0.20, 0.35),
    "integrations": (0.50, 0.30, 0.20),
    "bugs": (0.30, 0.50, 0.20),
    "how_to": (0.75, 0.15, 0.10),
    "data_privacy": (0.45, 0.15, 0.40),
    "feedback": (0.35, 0.20, 0.45),
    "contact": (0.50, 0.25, 0.25),
    "orders": (0.15, 0.60, 0.25),
    "shipping": (0.40, 0.45, 0.15),
    "returns": (0.40, 0.30, 0.30),
    "payments": (0.40, 0.35, 0.25),
    "product_info": (0.80, 0.10, 0.10),
    "cards": (0.30, 0.35, 0.35),
    "transfers": (0.25, 0.50, 0.25),
    "fees_fx": (0.60, 0.30, 0.10),
    "identity": (0.35, 0.35, 0.30),
    "fraud_disputes": (0.20, 0.35, 0.45),
    "users_permissions": (0.35, 0.30, 0.35),
    "reporting": (0.55, 0.35, 0.10),
    "data_import_export": (0.55, 0.25, 0.20),
    "performance": (0.35, 0.50, 0.15),
    "onboarding": (0.70, 0.15, 0.15),
    "purchases": (0.25, 0.40, 0.35),
    "game_account": (0.25, 0.35, 0.40),
    "gameplay": (0.80, 0.10, 0.10),
    "connectivity": (0.45, 0.45, 0.10),
    "events_rewards": (0.55, 0.30, 0.15),
    "appointments": (0.25, 0.30, 0.45),
    "prescriptions": (0.30, 0.35, 0.35),
    "insurance": (0.55, 0.35, 0.10),
    "test_results": (0.30, 0.55, 0.15),
    "medical_records": (0.45, 0.25, 0.30),
}

# Relative popularity of a topic within an account (before per-account noise).
TOPIC_WEIGHT = {
    "account_access": 7,
    "billing": 6,
    "plans": 3,
    "integrations": 2,
    "bugs": 4,
    "how_to": 5,
    "data_privacy": 1,
    "feedback": 1.5,
    "contact": 2.5,
    "orders": 14,
    "shipping": 12,
    "returns": 8,
    "payments": 5,
    "product_info": 6,
    "cards": 11,
    "transfers": 10,
    "fees_fx": 5,
    "identity": 6,
    "fraud_disputes": 5,
    "users_permissions": 7,
    "reporting": 6,
    "data_import_export": 5,
    "performance": 4,
    "onboarding": 5,
    "purchases": 11,
    "game_account": 9,
    "gameplay": 7,
    "connectivity": 6,
    "events_rewards": 6,
    "appointments": 14,
    "prescriptions": 9,
    "insurance": 6,
    "test_results": 7,
    "medical_records": 4,
}

# Base AI resolution probability when the enabler is live, per automation type: (low, high).
P_LIVE_RANGE = {"informational": (0.75, 0.90), "personalized": (0.60, 0.80), "action": (0.40, 0.65)}
# ... and when it is not live.
P_BASE_RANGE = {"informational": (0.15, 0.30), "personalized": (0.05, 0.15), "action": (0.02, 0.08)}

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    # ----------------------------------------------------------------------------- shared
    "account_access": {
        "informational": (
            "How do I reset my password?",
            "What are the password rules for {app}? It keeps rejecting every password I try.",
            "Is two-factor authentication available, and how do I switch it on?",
            "How long does the lockout last after too many failed logins?",
            "Can I sign in with Google or Apple instead of a password?",
            "Do I need a separate login for the website and {app}?",
            "The reset link you sent to {email} says it has expired. How do I get a new one?",
            "Can you change the email on my account from {email} to my new work address?",
            "I need the phone number on my account updated to {phone}.",
        ),
        "personalized": (
            "I can't log in, my email is {email}. It says no account exists with that address.",
            "I never got the verification code on {phone}. Can you check what's going on with my account?",
            "Why was my account suspended? It's registered under {email}.",
            "I keep getting logged out of {app} every few minutes. Is it something on my account?",
        ),
        "action": (
            "Please unlock my account, the username is {email}.",
            "Please reset my two-factor. I lost my phone and can't get the codes anymore.",
            "Please lock my account and sign out every device, I think someone else is using it.",
            "My account seems to be locked. I tried to log in on {date} and since then nothing works.",
        ),
    },
    "billing": {
        "informational": (
            "On which day of the month do you charge my card?",
            "What payment methods do you accept?",
            "Do your invoices show VAT? Where can I download them?",
            "What is a pending charge, and how long does it take to disappear from a statement?",
            "How does proration work if I change plans in the middle of a billing cycle?",
            "I need to update my billing card to {card}, the old one expired.",
            "Please change our billing address, we moved to {city}.",
        ),
        "personalized": (
            "I was charged {amount} on {date} and I don't recognise it. What is it for?",
            "Why was I billed twice this month? I see two charges of {amount}.",
            "My last invoice says {amount} but I'm on {plan}, which should be cheaper. What happened?",
            "When is my next payment due and how much will it be?",
            "My card ending {last4} was declined for the renewal. Is my account still active?",
            "I cancelled on {date} but you still charged me {amount}. Why?",
            "Can you send a copy of the invoice from {date} to {email}?",
        ),
        "action": (
            "Please refund the duplicate charge of {amount} from {date}.",
            "Turn off automatic renewal please. I don't want to be charged again.",
            "Please reissue the invoice from {date} with our company name and VAT number on it.",
        ),
    },
    "plans": {
        "informational": (
            "What's the difference between {plan} and the plan above it?",
            "Is there a discount if we pay yearly?",
            "Do you have a free trial, and what happens when it ends?",
            "Which plan includes {feature}?",
            "Do you offer student or nonprofit pricing?",
        ),
        "personalized": (
            "Which plan am I on right now? I thought it was {plan}.",
            "When does my trial end? I signed up around {date}.",
            "Am I still getting the discount I was promised when I signed up?",
            "How many days are left on my {plan} subscription?",
            "Why did my plan change to {plan}? I didn't ask for that.",
        ),
        "action": (
            "Please upgrade me to {plan} starting today.",
            "I'd like to downgrade to {plan} at the end of this billing period.",
            "Cancel my subscription please. I won't need it after {date}.",
            "Can you switch me from monthly to annual billing?",
            "Please pause my subscription for {days} days, I'm travelling.",
        ),
    },
    "integrations": {
        "informational": (
            "Do you integrate with {integration}?",
            "Is there a public API, and where is the documentation?",
            "How do I connect {integration} to my account?",
            "Does the {integration} sync go both ways or only one way?",
            "Is there a Zapier app or do we need to use webhooks?",
            "Please reconnect our {integration} integration, it says the token expired.",
            "Can you generate a new API key for us and revoke the old one?",
        ),
        "personalized": (
            "Our {integration} connection stopped syncing on {date}. Can you check what's wrong on our side?",
            "The webhook to our endpoint keeps failing with {error_code}. Is it something on your end?",
            "Why does {integration} show different numbers than your dashboard for our account?",
            "Our API key stopped working this morning. Has it been revoked?",
            "Half of our contacts didn't come across from {integration}, can you look at our account?",
        ),
        "action": (
            "Please enable the {integration} beta on our workspace.",
            "Please raise our {integration} sync quota, we hit the daily limit by noon.",
            "Please whitelist our server IP for the API, we keep getting blocked.",
        ),
    },
    "bugs": {
        "informational": (
            "Is there a known issue with {app} right now? Nothing loads.",
            "Is the service down? I keep getting {error_code}.",
            "Do you have a status page where I can check for outages?",
            "Which browsers do you support? {feature} doesn't work in {browser}.",
            "Is the latest update of {app} known to be buggy? Should I wait for a fix?",
        ),
        "personalized": (
            "{app} crashes every time I open it on my {device}. I've reinstalled twice.",
            "I get {error_code} when I try to save. It started on {date}.",
            "The page spins forever after I log in. I'm on {browser} and already cleared the cache.",
            "Since the last update the screen stays blank after login on my {device}.",
            "The buttons don't respond on the payment page, tried {browser} and my phone.",
            "Notifications stopped working for me after {date}, nothing comes through anymore.",
        ),
        "action": (
            "Please fix my account, it's been stuck in a loading loop since {date}. Ticket {ticket}.",
            "Can you reset my app data on your side? Everything is out of sync.",
            "Please escalate this to your engineers, {error_code} is blocking our whole team.",
            "Please resend the emails that failed during yesterday's outage.",
            "Please clear the stuck session on my account, I can't get past the loading screen.",
        ),
    },
    "how_to": {
        "informational": (
            "How do I change the language in {app}?",
            "Where are the settings? I can't find the menu anywhere.",
            "How do I turn off email notifications?",
            "Is there a dark mode?",
            "Can I use {app} on more than one device at the same time?",
            "Is there a guide for getting started with {feature}?",
            "Please change my display name to {name}.",
        ),
        "personalized": (
            "I set up {feature} last week but I can't see it anywhere in my account. Did I do something wrong?",
            "My notification settings keep resetting. Can you check my account?",
            "Where did my saved preferences go? They were there on {date}.",
            "I changed my timezone but my account still shows the old one.",
        ),
        "action": (
            "Please enable {feature} on our account, the help page says only your team can switch it on.",
            "Please merge my two accounts into one, I signed up twice by mistake.",
            "Please restore the settings I lost after the last update, I'd spent hours on them.",
        ),
    },
    "data_privacy": {
        "informational": (
            "What data do you store about me and for how long?",
            "Are you GDPR compliant? Where is your privacy policy?",
            "Do you share my information with third parties?",
            "Where are your servers? Our data has to stay in the EU.",
            "Do you use my conversations to train your AI?",
            "Unsubscribe {email} from all marketing emails please.",
        ),
        "personalized": (
            "I got an email at {email} from you but I never signed up. Why do you have my address?",
            "Which personal data do you hold on my account?",
            "Someone from your company called me on {phone}. How did you get this number?",
            "Did my data get exposed in the incident you mentioned in the news?",
            "I want a copy of all the data you hold about me. This is a formal access request.",
        ),
        "action": (
            "Please delete my account and all my personal data. My email is {email}.",
            "Please remove my phone number {phone} from your records.",
            "Please stop sharing my data with your partners, I object to it under GDPR.",
        ),
    },
    "feedback": {
        "informational": (
            "Is there a place to submit feature requests?",
            "Do you have a public roadmap?",
            "How can I join the beta programme?",
            "Do you run customer interviews? I'd be happy to take part.",
            "Just wanted to say the new {feature} is great. Please tell the team!",
            "Please add me to the waitlist for {feature}.",
        ),
        "personalized": (
            "I suggested {feature} a few months ago, any news on whether it's coming?",
            "I left a review on {date} and nobody got back to me. Did anyone read it?",
            "I'm in the beta. Is anyone looking at my feedback on {feature}?",
            "You asked me to fill in a survey but the link says I've already answered. I haven't.",
        ),
        "action": (
            "Please pass this on to the product team: {feature} is really hard to use on mobile.",
            "I want to file a formal complaint about the service I got on {date}.",
            "Your last update made {app} much worse. Please bring back the old layout.",
        ),
    },
    "contact": {
        "informational": (
            "What are your support hours?",
            "Is there a phone number I can call?",
            "Do you have an office in {city}?",
            "What's the fastest way to reach support on weekends?",
        ),
        "personalized": (
            "I've been waiting for a reply on ticket {ticket} since {date}. Any news?",
            "Someone was supposed to call me back on {phone}. Was that scheduled?",
            "Who is our account manager? We're a business customer.",
            "I emailed you from {email} three days ago and heard nothing. Did you get it?",
        ),
        "action": (
            "Please have someone call me back on {phone}, it's urgent.",
            "Can you escalate ticket {ticket} to a supervisor?",
            "I want to talk to a real person, please transfer me.",
            "Please book a call with our account manager for next week.",
            "How can I talk to a human?",
        ),
    },
    # ----------------------------------------------------------------------------- ecommerce
    "orders": {
        "informational": (
            "How long does it take to process an order?",
            "Do you send a confirmation email for every order?",
            "What does 'processing' mean on an order?",
            "Do you ever send several orders in one parcel, or does each order ship separately?",
        ),
        "personalized": (
            "Where is my order {order_id}? I ordered on {date}.",
            "My order {order_id} still says processing. Is something wrong?",
            "I didn't get a confirmation for my {product} order. Did it go through?",
            "Order {order_id} arrived without the {product}. Is it coming in a separate parcel?",
            "Has order {order_id} shipped yet? I need it by {date}.",
            "I placed an order this morning with {email} and it doesn't show in my account.",
        ),
        "action": (
            "Please cancel order {order_id}, I ordered the wrong size.",
            "Can you add a {product} to order {order_id} before it ships?",
            "Please change the delivery address on {order_id} to {address}.",
            "I need to change the size on order {order_id} from M to L.",
            "Please split order {order_id} and send the {product} first.",
            "Can I change an order after I've placed it?",
        ),
    },
    "shipping": {
        "informational": (
            "How much is shipping to {country}?",
            "Do you offer express delivery?",
            "Do you ship to {country}?",
            "How long does standard delivery take?",
            "Is shipping free above a certain amount?",
        ),
        "personalized": (
            "Tracking number {tracking} hasn't updated in {days} days.",
            "The courier says delivered but I got nothing. Order {order_id}.",
            "When will my package arrive? It was supposed to come on {date}.",
            "Tracking shows my parcel is stuck in {city}. What's going on?",
            "My parcel {tracking} was sent back to you, why?",
        ),
        "action": (
            "Please resend order {order_id}, the parcel never arrived.",
            "Can you upgrade the delivery on order {order_id} to express?",
            "Please hold my package at the depot, I'm away until {date}.",
            "Can you redirect parcel {tracking} to my office address?",
        ),
    },
    "returns": {
        "informational": (
            "What's your return policy?",
            "How many days do I have to send something back?",
            "Do I pay for return shipping?",
            "Do you offer exchanges, or only refunds?",
            "Can I return sale items?",
        ),
        "personalized": (
            "I sent back the {product} on {date}. When will I get my refund?",
            "Have you received my return for order {order_id}?",
            "My refund of {amount} still hasn't arrived, it's been {days} days.",
            "Why was my return for {order_id} rejected?",
        ),
        "action": (
            "I want to return the {product} from order {order_id}, it doesn't fit.",
            "Please send me a return label for order {order_id}.",
            "Can you exchange the {product} for a different colour?",
            "The {product} arrived broken. Please refund {amount}.",
            "Please pick up the return from my address, I can't get to a drop-off point.",
        ),
    },
    "payments": {
        "informational": (
            "Do you accept PayPal?",
            "Can I pay in instalments?",
            "Is it safe to enter my card details on your site?",
            "Can I use a gift card together with a card payment?",
            "Which currencies can I pay in?",
            "Please remove my saved card ending {last4} from my account.",
        ),
        "personalized": (
            "The payment failed but the money left my account. Order {order_id}.",
            "Why was my card {card} declined at checkout?",
            "I was charged {amount} but the order total was lower. Can you check?",
            "My gift card balance shows zero but I only used {amount} of it.",
        ),
        "action": (
            "Please charge a different card for order {order_id}: {card}",
            "Apply my gift card to order {order_id}, it didn't work at checkout.",
            "Please refund the {amount} you charged twice for order {order_id}.",
        ),
    },
    "product_info": {
        "informational": (
            "Is the {product} true to size?",
            "What is the {product} made of?",
            "Will the {product} be back in stock?",
            "Does the {product} come with a warranty?",
            "Is the {product} compatible with the older model?",
            "What are the dimensions of the {product}?",
            "Please email me at {email} when the {product} is back in stock.",
        ),
        "personalized": (
            "I bought the {product} on {date}, is it still under warranty?",
            "Which model of {product} did I buy on {date}? I need to order the right spare part.",
            "Is the {product} I saved in my wishlist available in my size yet?",
        ),
        "action": (
            "Can you reserve a {product} for me? I'll order on payday.",
            "Please register my {product} for the extended warranty.",
            "The {product} I bought on {date} stopped working. Please replace it under warranty.",
        ),
    },
    # ----------------------------------------------------------------------------- fintech
    "cards": {
        "informational": (
            "How long does a new card take to arrive?",
            "Can I use my card abroad?",
            "What's the daily cash withdrawal limit?",
            "Does the card work with Apple Pay and Google Pay?",
            "Is there a fee for a replacement card?",
        ),
        "personalized": (
            "My card ending {last4} was declined at {merchant}. Why?",
            "I ordered a new card on {date} and it still hasn't arrived.",
            "Why is my card showing as inactive in {app}?",
            "Is my card {card} blocked? Payments keep failing.",
            "The contactless limit on my card seems lower than before. What is it set to?",
        ),
        "action": (
            "Please freeze my card, I lost my wallet.",
            "I need a replacement card, mine is damaged.",
            "Please raise my ATM limit to {amount} for this week.",
            "Unblock my card ending {last4}, I typed the wrong PIN three times.",
            "Please send my new card to {address} instead of my old address.",
        ),
    },
    "transfers": {
        "informational": (
            "How long do international transfers take?",
            "What's the maximum I can send in one transfer?",
            "Do you support instant SEPA transfers?",
            "What details do I need to send money abroad?",
            "Can I schedule a recurring transfer?",
        ),
        "personalized": (
            "I sent {amount} to my landlord on {date} and it hasn't arrived.",
            "My transfer is stuck on pending, reference {ticket}.",
            "Why was my transfer of {amount} returned?",
            "The recipient got less than {amount}. Where did the rest go?",
            "My salary was supposed to land on {date} but I don't see it.",
        ),
        "action": (
            "Please cancel the transfer I just made, wrong recipient.",
            "Can you speed up my transfer of {amount}? It's urgent.",
            "Please recall the payment of {amount} I sent on {date}, it was a mistake.",
            "Please increase my transfer limit so I can send {amount} for a house deposit.",
        ),
    },
    "fees_fx": {
        "informational": (
            "Which exchange rate do you use?",
            "Are there fees for paying in {currency}?",
            "Is there a monthly account fee?",
            "What is the weekend currency markup?",
            "How much does it cost to withdraw cash abroad?",
        ),
        "personalized": (
            "Why was I charged a {amount} fee on {date}?",
            "The exchange rate on my {currency} payment looks wrong. Can you check?",
            "I was charged an ATM fee even though I'm under my free limit.",
            "How much have I paid in fees this month?",
        ),
        "action": (
            "Please refund the {amount} fee, I was told it would be waived.",
            "Can you waive the foreign transaction fee on my last payment?",
            "Please switch my account to the plan without monthly fees.",
        ),
    },
    "identity": {
        "informational": (
            "Which documents do you accept for verification?",
            "Why do you need a selfie?",
            "How long does identity verification take?",
            "Can I verify with a residence permit instead of a passport?",
            "Please update my address for verification, I moved to {city}.",
        ),
        "personalized": (
            "I uploaded my passport on {date} and I'm still not verified.",
            "My verification was rejected. What was wrong with my documents?",
            "Why is my account limited? It says I need to verify again.",
            "The app keeps asking for proof of address even though I sent it on {date}.",
        ),
        "action": (
            "Please check my ID again, I uploaded a clearer photo.",
            "I changed my surname after getting married. Please update it to {last} on my verified account, the app won't let me.",
            "Please lift the limit on my account, my documents are all uploaded.",
        ),
    },
    "fraud_disputes": {
        "informational": (
            "How can I tell if a message claiming to be from you is a phishing attempt?",
            "How long does a chargeback take?",
            "Do you ever call customers and ask for their PIN?",
            "Am I covered if someone steals my card details?",
        ),
        "personalized": (
            "What's the status of my dispute for {amount} from {date}?",
            "Someone texted me from {phone} pretending to be you. Is my account safe?",
            "I see a login from a device I don't own. Has my account been hacked?",
        ),
        "action": (
            "Please dispute the {amount} charge from {merchant}, I never got the goods.",
            "Block my card now, there are transactions I didn't make: {card}",
            "Please reverse the fraudulent payment from {date}.",
            "Please open a fraud case, someone took {amount} out of my account.",
            "I was scammed into sending {amount}. Please stop the payment.",
            "There's a payment of {amount} to {merchant} that I didn't make.",
        ),
    },
    # ----------------------------------------------------------------------------- saas
    "users_permissions": {
        "informational": (
            "What's the difference between the admin and editor roles?",
            "How many seats does {plan} include?",
            "Can I restrict a user to a single project?",
            "Can guests see our workspace without a paid seat?",
            "Please add {email} as an admin to our workspace.",
            "Remove {name} from our account, they left the company.",
            "Please enforce SSO for everyone in our workspace.",
        ),
        "personalized": (
            "Why can't {name} see the shared project? I added them last week.",
            "How many seats are we using right now?",
            "Who is the owner of our workspace? Our admin left the company.",
            "{name} says they got an invite but the link doesn't work for them.",
        ),
        "action": (
            "Transfer ownership of the workspace to {email}.",
            "Please add five more seats to our subscription.",
            "Please restore {name}'s user, we removed them by mistake and their projects are gone.",
        ),
    },
    "reporting": {
        "informational": (
            "How do I build a custom report?",
            "Can I schedule a report to be emailed every week?",
            "What does the 'active users' metric actually count?",
            "Can I share a dashboard with someone outside the company?",
            "Can you add {email} to the weekly report recipients?",
        ),
        "personalized": (
            "My dashboard shows zero for {date} but we definitely had activity.",
            "The numbers in the monthly report don't match our export. Why?",
            "The scheduled report stopped arriving at {email}.",
            "The chart on our main dashboard is missing last week's data.",
        ),
        "action": (
            "Please re-run last month's report, it has missing data.",
            "Please restore the dashboard someone deleted on {date}.",
            "Please backfill the missing days in our reports, your outage on {date} left gaps.",
        ),
    },
    "data_import_export": {
        "informational": (
            "Which file formats can I import?",
            "Is there a row limit for CSV imports?",
            "How do I export all my data?",
            "Can I import data straight from {integration}?",
        ),
        "personalized": (
            "My import from {date} failed halfway. What went wrong?",
            "The export file I downloaded is empty.",
            "Some rows are missing after my CSV import. Can you check?",
            "The dates in my export are all shifted by one day.",
            "Can you export our full account data and send it to {email}?",
        ),
        "action": (
            "Please undo the import I ran this morning, it duplicated everything.",
            "Please restore the records we deleted by mistake on {date}.",
            "Please bump the import limit for our account, we have a big file.",
        ),
    },
    "performance": {
        "informational": (
            "Are there known performance problems today?",
            "What are the API rate limits?",
            "What connection speed do you recommend?",
            "Is it normal for large projects to load slowly?",
        ),
        "personalized": (
            "Our dashboard takes over a minute to load since {date}.",
            "Everything is really slow for our team in {city}.",
            "Our API calls time out with {error_code}.",
            "Search in our workspace takes ages, is our account throttled?",
        ),
        "action": (
            "Please raise the API rate limit for our account.",
            "Can you move our workspace to the EU region? The latency is terrible.",
            "Please archive our old projects on your side, the workspace has become unusable.",
        ),
    },
    "onboarding": {
        "informational": (
            "Where do I start after signing up?",
            "Do you run onboarding webinars?",
            "Is there a template for a first project?",
            "What's the best way to set up {feature} for a new team?",
            "Is there a checklist for rolling this out to the whole company?",
            "Please book an onboarding session for our team.",
        ),
        "personalized": (
            "We signed up on {date} but our workspace still isn't set up. Is something pending?",
            "Our onboarding checklist shows 3 of 7 steps done. What's left?",
            "We were promised a kickoff call after signing. When is it?",
        ),
        "action": (
            "Can you load some sample data so we can try {feature}?",
            "Please extend our trial by {days} days, we haven't had time to set up.",
            "Please migrate our projects from the old workspace into the new one you set up for us.",
        ),
    },
    # ----------------------------------------------------------------------------- gaming
    "purchases": {
        "informational": (
            "How do I buy gems?",
            "Do purchases carry over between devices?",
            "What's your refund policy for in-game purchases?",
            "Why are prices different on {platform}?",
        ),
        "personalized": (
            "I bought the {item} for {amount} but can't find it. Did the purchase go through?",
            "I was charged twice for the {item} on {date}.",
            "My purchase history doesn't show the {item} I bought.",
            "I paid for the season pass but {game} still says I don't own it.",
        ),
        "action": (
            "Please refund the {item}, my kid bought it by accident.",
            "Please add the missing {item} to my account, receipt {order_id}.",
            "Cancel my season pass subscription please.",
            "Please move my purchases from my old account to player id {player_id}.",
        ),
    },
    "game_account": {
        "informational": (
            "How do I link my account to {platform}?",
            "Can I change my username?",
            "How do I recover an account if I lost my phone?",
            "Can I have two accounts on the same console?",
            "Please change my username to {username}.",
        ),
        "personalized": (
            "Why was my account banned? I didn't cheat.",
            "I can't log in to {game}, it says my account doesn't exist.",
            "Someone changed the email on my game account, it's not {email} anymore.",
        ),
        "action": (
            "Please restore my progress, player id {player_id}.",
            "Unlink my {platform} account so I can link a new one.",
            "Please review my ban, player id {player_id}.",
            "Please merge my two accounts, the main one is {player_id}.",
            "My progress in {game} is gone after the update. Player id {player_id}.",
        ),
    },
    "gameplay": {
        "informational": (
            "How do I unlock the next chapter in {game}?",
            "What's the best build for {character}?",
            "How does matchmaking work?",
            "Where is the hidden quest in chapter 3?",
            "Is there a way to play co-op with a friend on another platform?",
        ),
        "personalized": (
            "My quest won't complete even though I did all the steps. Player id {player_id}.",
            "I'm stuck on level {level} and the boss never spawns.",
            "My ranked games from {date} aren't showing in my match history.",
        ),
        "action": (
            "Please reset the quest in my save, it's bugged.",
            "Please reset my ranked rating, I was matched with cheaters all weekend.",
            "Please report player {username}, they're cheating in every match.",
        ),
    },
    "connectivity": {
        "informational": (
            "Are the servers down?",
            "Which ports do I need to open for {game}?",
            "Is there maintenance today?",
            "Why does the game need to be online for single player?",
        ),
        "personalized": (
            "I keep getting disconnected from {game} every few minutes, {error_code}.",
            "Lag spikes over 300 ms since the patch on {date}.",
            "Can't connect to the {server} servers from my {platform}.",
            "I get kicked to the menu every time a match starts.",
        ),
        "action": (
            "Please move my account to the EU servers.",
            "Please give me back the ranked points I lost because of the disconnect.",
            "Please clear my session, it says I'm already logged in somewhere else.",
        ),
    },
    "events_rewards": {
        "informational": (
            "When does the {event} event end?",
            "How do I claim the daily login reward?",
            "What's in this season's battle pass?",
            "Will the {event} rewards come back later?",
        ),
        "personalized": (
            "I finished the {event} challenges but the reward isn't showing. Did my last one count?",
            "My login streak reset even though I played every day.",
            "Is the {item} from the event still on its way? I claimed it on {date} and my inventory is empty.",
            "My referral bonus never arrived, my friend joined on {date}.",
        ),
        "action": (
            "Please give me the {item} I earned in the {event} event.",
            "Please restore my login streak, it reset during your outage.",
            "Please send me the compensation gems for the maintenance on {date}.",
        ),
    },
    # ----------------------------------------------------------------------------- healthcare
    "appointments": {
        "informational": (
            "How do I book an appointment online?",
            "What's your cancellation policy?",
            "Do you offer video consultations?",
            "How early should I arrive for an appointment?",
            "Can I book for my child from my account?",
            "Please book me in with {doctor} next week.",
        ),
        "personalized": (
            "When is my next appointment with {doctor}?",
            "I didn't get a confirmation for my appointment on {date}.",
            "Is my appointment at {clinic} still on? I got a strange text.",
            "Which clinic is my appointment on {date} at? The email doesn't say.",
        ),
        "action": (
            "I need to move my appointment on {date} to later that week.",
            "Please cancel my appointment on {date}, I'm unwell.",
            "Can you move my video consultation with {doctor} to the afternoon?",
            "Please put me on the waiting list for an earlier slot with {doctor}.",
        ),
    },
    "prescriptions": {
        "informational": (
            "How long does a prescription renewal take?",
            "Can my pharmacy receive the prescription directly?",
            "Can I get a prescription after a video consultation?",
        ),
        "personalized": (
            "Has my prescription for {medication} been sent to the pharmacy?",
            "I asked for a refill of {medication} on {date}. Any update?",
            "Why was my {medication} prescription declined?",
            "The pharmacy says they have no prescription for me. Can you check?",
        ),
        "action": (
            "Please renew my {medication} prescription, I run out on {date}.",
            "Send my prescription to the pharmacy on {street} instead.",
            "Please ask {doctor} to adjust my {medication} dose as we discussed.",
            "Please cancel the repeat prescription for {medication}, I've stopped taking it.",
            "How do I request a repeat prescription?",
        ),
    },
    "insurance": {
        "informational": (
            "Do you accept {insurer}?",
            "Is a video visit covered by insurance?",
            "Do I need a referral to see a specialist?",
            "What does it cost if I don't have insurance?",
            "Please update my insurance to {insurer}, member id {member_id}.",
        ),
        "personalized": (
            "My claim from {date} was denied. Why?",
            "Is the insurance you have on file still valid? Member id {member_id}.",
            "Why was I billed {amount} when my insurance should cover it?",
            "Has my insurer paid for the visit on {date} yet?",
            "Please send me an itemised bill so I can claim it myself.",
        ),
        "action": (
            "Please resubmit my claim from {date} to {insurer}.",
            "Please appeal the denied claim from {date} with {insurer} on my behalf.",
            "Please cancel the bill for my visit on {date}, it should have gone to {insurer}.",
        ),
    },
    "test_results": {
        "informational": (
            "How long do blood test results take?",
            "Where can I see my results online?",
            "What does 'pending review' mean next to a result?",
            "Do I need to fast before a blood test?",
        ),
        "personalized": (
            "Are my blood test results from {date} back?",
            "My result says 'abnormal'. What does that mean for me?",
            "I had a scan at {clinic} on {date}. When will {doctor} look at it?",
            "One of my results is missing from the portal.",
            "Please send my lab results to {email}.",
        ),
        "action": (
            "Can {doctor} call me about my results? My number is {phone}.",
            "Please forward my results to my specialist at {clinic}.",
            "Please redo my blood test, the lab lost my sample from {date}.",
        ),
    },
    "medical_records": {
        "informational": (
            "How long do you keep medical records?",
            "Can I share my records with another clinic?",
            "Can my partner access my records if I allow it?",
            "How do I update the address in my patient profile? My records still show the old one.",
        ),
        "personalized": (
            "How do I request a copy of my medical records?",
            "Send a copy of my medical records to {email}.",
            "Which vaccinations are on my record, and when did I have them?",
        ),
        "action": (
            "Please transfer my records to {clinic}.",
            "Please correct my date of birth to {dob}.",
            "Please give my daughter's new doctor access to her records.",
            "My vaccination record is missing the dose I had on {date}.",
            "There's an allergy in my records that I don't have.",
            "My date of birth is wrong in my file.",
        ),
    },
}

# Openers: text placed before the message. A trailing "," or "—" lower-cases the next letter.
OPENERS = (
    "",
    "",
    "",
    "",
    "Hi,",
    "Hi!",
    "Hello,",
    "hello team,",
    "Good morning —",
    "Hey there.",
    "Hi support,",
    "Hey,",
    "Good afternoon,",
    "Hi there, hope you're well.",
    "Quick question:",
    "Hello again.",
    "Dear support team,",
    "hey",
    "Urgent:",
    "Hi, me again.",
)
CLOSERS = (
    "",
    "",
    "",
    "",
    "Thanks",
    "Thanks!",
    "Thank you in advance.",
    "Regards, {name}",
    "Cheers",
    "Please help asap.",
    "thx",
    "Many thanks, {name}",
    "This is the second time I'm writing about this.",
    "Waiting for your answer.",
    "I've already tried the help page.",
    "Sent from my iPhone",
    "Kind regards,\n{name} {last}",
    "My email is {email} if you need it.",
    "You can call me on {phone}.",
    "🙏",
)

FIRST_NAMES = (
    "James", "Maria", "Liam", "Sofia", "Noah", "Emma", "Lucas", "Olivia", "Mateo", "Aisha",
    "Chen", "Yuki", "Fatima", "Ivan", "Priya", "Kwame", "Elena", "Omar", "Hannah", "Diego",
    "Anna", "Tom", "Sarah", "Ravi", "Mia", "Jonas", "Lea", "Carlos", "Nina", "Ben",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Garcia", "Müller", "Rossi", "Nguyen", "Kowalski", "Okafor", "Tanaka", "Silva",
    "Johnson", "Schmidt", "Dubois", "Patel", "Kim", "Andersson", "Hughes", "Costa", "Novak",
    "Brown", "Moreau", "Lopez", "Fischer", "Singh", "Walker", "Jensen",
)  # fmt: skip
EMAIL_DOMAINS = (
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me",
    "gmx.de", "web.de", "example.com", "company.io",
)  # fmt: skip

# Slot values that do not depend on the vertical.
CHOICES = {
    "city": ("Berlin", "Chicago", "São Paulo", "Toronto", "Madrid", "Singapore", "Austin",
             "Lyon", "Manchester", "Sydney", "Mexico City", "Warsaw"),
    "country": ("Canada", "Germany", "Australia", "Brazil", "Ireland", "Japan", "Mexico",
                "Norway", "the UK", "Switzerland"),
    "currency": ("EUR", "USD", "GBP", "JPY", "CHF", "MXN", "AUD", "PLN"),
    "integration": ("Salesforce", "HubSpot", "Slack", "Zendesk", "Shopify", "QuickBooks",
                    "Google Sheets", "Microsoft Teams", "Xero", "Jira"),
    "browser": ("Chrome", "Safari", "Firefox", "Edge", "Chrome on Android", "Safari on iPad"),
    "device": ("iPhone 15", "Samsung Galaxy S24", "Pixel 8", "iPad", "MacBook", "Windows laptop",
               "old Android phone"),
    "merchant": ("AMZN Mktp", "Uber Trip", "Netflix.com", "SQ *COFFEE HOUSE", "Steam Purchase",
                 "PAYPAL *EBAY", "Apple.com/bill", "Shell 4421", "Lidl", "Airbnb"),
    "address": ("14 Elm Street, Springfield", "Flat 3, 22 King's Road, London",
                "Hauptstraße 5, 10115 Berlin", "221 Pine Ave, Apt 4B, Portland",
                "Calle Mayor 12, Madrid", "88 Queen St W, Toronto"),
    "street": ("Main Street", "Oak Avenue", "Market Square", "Station Road", "Rue de la Paix",
               "Baker Street"),
    "doctor": ("Dr. Patel", "Dr. Nguyen", "Dr. Becker", "Dr. Okafor", "Dr. Rossi",
               "Dr. Lindqvist", "Dr. Haddad", "Dr. Moreno"),
    "clinic": ("the Riverside clinic", "the downtown clinic", "St. Mary's", "the North branch",
               "the imaging centre", "the Eastgate practice"),
    "medication": ("metformin", "lisinopril", "sertraline", "atorvastatin", "levothyroxine",
                   "salbutamol inhaler", "amoxicillin", "omeprazole"),
    "insurer": ("Aetna", "Blue Cross", "Cigna", "UnitedHealthcare", "AXA", "Allianz", "Bupa",
                "TK"),
    "game": ("Starfall Legends", "Kingdom Rush Tactics", "Neon Drift", "Skyforge Arena",
             "Mystic Isles", "Iron Tide", "Pocket Farm Tales"),
    "item": ("Dragon Skin bundle", "1200 gems pack", "Season Pass", "Golden Sword", "VIP chest",
             "Starter pack", "legendary mount", "500 coins"),
    "platform": ("PlayStation", "Xbox", "Steam", "Nintendo Switch", "iOS", "Android", "Epic"),
    "character": ("the Ranger", "the Paladin", "the Necromancer", "Kira", "the Engineer"),
    "event": ("Winter Festival", "Lunar New Year", "Summer Clash", "Halloween Hunt",
              "Anniversary", "Spring Cup"),
    "server": ("EU West", "NA East", "Asia", "Oceania", "South America"),
    "username": ("ShadowFox99", "xX_Nova_Xx", "lil_bean", "CaptainCrunch", "Mira_Plays"),
}  # fmt: skip

# Slot values that depend on the account's vertical.
VERTICAL_CHOICES = {
    "product": {
        "ecommerce": ("blue running shoes", "wireless earbuds", "linen duvet cover",
                      "denim jacket", "coffee grinder", "yoga mat", "leather backpack",
                      "kids' rain boots", "standing desk", "ceramic vase"),
        "fintech": ("Premium card", "savings pot", "metal card", "joint account",
                    "travel insurance add-on", "crypto wallet"),
        "saas": ("Pro workspace", "analytics add-on", "automation pack", "extra storage",
                 "SSO add-on"),
        "gaming": ("Season Pass", "Founder's Edition", "Deluxe bundle", "controller skin"),
        "healthcare": ("annual check-up package", "blood test panel", "telehealth membership",
                       "physio package"),
    },
    "app": {
        "ecommerce": ("the app", "your website", "the iOS app", "the Android app"),
        "fintech": ("the banking app", "the app", "online banking", "the web app"),
        "saas": ("the web app", "the desktop app", "the dashboard", "the mobile app"),
        "gaming": ("the game", "the launcher", "the companion app", "the game client"),
        "healthcare": ("the patient portal", "the app", "the booking site", "the patient app"),
    },
    "plan": {
        "ecommerce": ("Plus membership", "the free plan", "Premium delivery"),
        "fintech": ("Standard", "Plus", "Premium", "Metal"),
        "saas": ("Starter", "Team", "Business", "Enterprise"),
        "gaming": ("the Battle Pass", "VIP", "Premium membership"),
        "healthcare": ("Basic care", "Family plan", "Premium care"),
    },
    "feature": {
        "ecommerce": ("wishlist sharing", "order tracking", "saved addresses",
                      "one-click checkout"),
        "fintech": ("spending insights", "savings goals", "virtual cards", "bill splitting"),
        "saas": ("custom dashboards", "audit log", "single sign-on", "automations",
                 "two-way sync"),
        "gaming": ("cross-save", "friend lists", "clan chat", "replays"),
        "healthcare": ("online check-in", "appointment reminders", "family accounts",
                       "secure messaging"),
    },
}  # fmt: skip

# Patterns for number-like slots: '#' → digit, 'A' → capital letter.
PATTERNS = {
    "order_id": ("#######", "ORD-#######", "#########", "A#######"),
    "tracking": ("1ZA##A##########", "JD0######A", "AA#########AA", "############"),
    "ticket": ("#######", "CS-######", "######"),
    "error_code": ("error ###", "ERR_####", "error code A-###", "a 503 error"),
    "player_id": ("########", "#########", "AA########"),
    "member_id": ("AAA#########", "#########", "A########"),
    "last4": ("####",),
    "phone": (
        "+1 (4##) 555-####",
        "+1 (2##) 555-####",
        "6##-555-####",
        "+44 7700 9#####",
        "07700 9#####",
        "+49 15# #######",
        "+33 6 ## ## ## ##",
        "+55 11 9####-####",
    ),
}
# Every slot a template may use; `cockpit.demo` renders each kind.
SLOTS = (
    set(CHOICES)
    | set(VERTICAL_CHOICES)
    | set(PATTERNS)
    | {"amount", "date", "dob", "days", "level", "email", "card", "name", "last"}
)

CSMS = ("Priya Raman", "Marcus Feld", "Sofia Alvarez", "Tom Becker", "Aiko Tanaka", "Grace Okafor")
COMPANY_PREFIXES = {
    "fintech": ("Northwind", "Bluefin", "Ledgerly", "Coinpath", "Harbor", "Meridian",
                "Keystone", "Finch", "Lumen", "Ironbark", "Sterling", "Tandem", "Copperleaf",
                "Quill", "Atlas", "Brightwater"),
    "ecommerce": ("Maple Lane", "Urban Nest", "Trailhead", "Bloom", "Fernway", "Kettle & Co",
                  "Loom", "Pebble", "Cobalt", "Saffron", "Juniper", "Oakline", "Drift",
                  "Nomad", "Petal", "Ember"),
    "saas": ("Taskwise", "Datapeak", "Orbit", "Relay", "Stackly", "Nimbus", "Pipewise",
             "Clearview", "Beacon", "Quanta", "Signalhouse", "Vantage", "Helix", "Tempo",
             "Lattice", "Sprout"),
    "gaming": ("Pixel Forge", "Moonlit", "Ironclad", "Starfall", "Neon Fox", "Rogue Owl",
               "Thunderpeak", "Crystal Keep", "Bitwise", "Lost Lantern", "Dragonfly",
               "Red Comet", "Paper Crane", "Nightjar", "Arcadia", "Wildcard"),
    "healthcare": ("CarePoint", "Harborview", "Wellspring", "MediBridge", "Clearwater",
                   "Northstar", "Evergreen", "Sunrise", "Lakeside", "Bayside", "Pinecrest",
                   "Cedar", "Summit", "Riverside", "Greenfield", "Unity"),
}  # fmt: skip
COMPANY_SUFFIXES = {
    "fintech": ("Pay", "Bank", "Money", "Finance", "Wallet", "Capital"),
    "ecommerce": ("Outfitters", "Home", "Supply", "Goods", "Store", "Market"),
    "saas": ("HQ", "Cloud", "Labs", "Analytics", "Software", "Systems"),
    "gaming": ("Games", "Studios", "Interactive", "Entertainment", "Play", "Digital"),
    "healthcare": ("Health", "Clinics", "Medical", "Care", "Telehealth", "Family Practice"),
}

# Multi-turn transcripts: replies after the customer's opening message.
AI_REPLIES = {
    "informational": (
        "Happy to help! Here's how it works: you'll find the steps in the help centre article I've linked below.",
        "Good question. In short: yes, that's possible — the details are in the guide linked below.",
        "Thanks for reaching out. Here is what our policy says about this.",
    ),
    "personalized": (
        "Thanks! Let me look that up for you. One moment please.",
        "I've checked your account and here is what I can see.",
        "Let me check the details on your account.",
    ),
    "action": (
        "I can take care of that for you. Can you confirm you want me to go ahead?",
        "Sure, I'll start that now. Please confirm the details above are correct.",
        "I can help with this request. I just need to verify a few details first.",
    ),
}
AI_HANDOVER = (
    "I'm connecting you with a member of our team who can help further.",
    "I wasn't able to solve this, so I'm handing you over to a colleague.",
    "Let me pass you to one of our specialists.",
)
CUSTOMER_RESOLVED = ("Perfect, thanks!", "that worked, thank you", "Great, all sorted.", "ok thx")
CUSTOMER_UNRESOLVED = (
    "That doesn't answer my question.",
    "Can I speak to a person please?",
    "No, that's not it.",
    "this is not helpful",
    "I already tried that.",
)
CUSTOMER_CONFIRM = ("Yes please go ahead.", "yes", "Confirmed.", "Yes, that's right.")
AGENT_REPLIES = (
    "Hi {name}, this is {agent} from the support team. I've looked into it and sorted it out for you.",
    "Hello {name}, {agent} here. Thanks for your patience — this is fixed now.",
    "Hi {name}, I'm {agent}. I've escalated this internally and will update you by email.",
)
AGENTS = ("Jess", "Daniel", "Amira", "Kenji", "Laura", "Pedro", "Sam")

# A few non-English openings (language code, topic, type) for EMEA/LATAM accounts.
NON_ENGLISH = {
    ("es", "account_access", "personalized"): (
        "Hola, no puedo entrar en mi cuenta, dice que la contraseña es incorrecta.",
        "No me llega el código de verificación al móvil.",
    ),
    ("es", "billing", "personalized"): (
        "Me habéis cobrado dos veces este mes, ¿por qué?",
        "¿Qué es este cargo de {amount} del {date}?",
    ),
    ("pt", "account_access", "personalized"): (
        "Olá, não consigo acessar minha conta desde ontem.",
    ),
    ("de", "billing", "personalized"): (
        "Hallo, warum wurde mir {amount} zweimal abgebucht?",
        "Ich finde meine letzte Rechnung nicht im Konto.",
    ),
    ("de", "account_access", "action"): (
        "Bitte entsperren Sie mein Konto, ich habe das Passwort zu oft falsch eingegeben.",
    ),
    ("fr", "contact", "informational"): (
        "Bonjour, quels sont vos horaires d'ouverture du support ?",
    ),
    ("fr", "billing", "action"): (
        "Bonjour, merci de me rembourser le double prélèvement de {amount}.",
    ),
}
