-- Reserved for the alerts branch's migration (issue 12); the write-groups branch
-- carries this empty placeholder only so its 0013 loads. Drop at merge.
SELECT 1;
